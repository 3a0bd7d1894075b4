<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="zh_CN" sourcelanguage="en">
<context>
    <name>AddFeedDialog</name>
    <message>
        <source>Add a video feed</source>
        <extracomment>ms between two looks at the shown tiles (about 25 pictures a second) terminals whose video the dispatcher can pull onto the wall</extracomment>
        <translation>添加视频源</translation>
    </message>
</context>
<context>
    <name>AlarmsModel</name>
    <message>
        <source>%1 by %2</source>
        <translation>%1 · 由 %2</translation>
    </message>
    <message>
        <source>Age</source>
        <translation>已持续</translation>
    </message>
    <message>
        <source>Alarm</source>
        <translation>告警内容</translation>
    </message>
    <message>
        <source>From</source>
        <translation>来源位置</translation>
    </message>
    <message>
        <source>Severity</source>
        <translation>级别</translation>
    </message>
    <message>
        <source>State</source>
        <translation>状态</translation>
    </message>
</context>
<context>
    <name>AlertsModel</name>
    <message>
        <source>%1 by %2</source>
        <translation>%1 · 由 %2</translation>
    </message>
    <message>
        <source>Age</source>
        <translation>已持续</translation>
    </message>
    <message>
        <source>Group</source>
        <translation>通话组</translation>
    </message>
    <message>
        <source>Raised by</source>
        <translation>发起终端</translation>
    </message>
    <message>
        <source>Where</source>
        <translation>位置</translation>
    </message>
    <message>
        <source>Alert</source>
        <translation>告警</translation>
    </message>
</context>
<context>
    <name>AudioDevicesDialog</name>
    <message>
        <source>System default</source>
        <extracomment>the test tone: 1 kHz for 0.8 s with 10 ms fades</extracomment>
        <translation>系统默认</translation>
    </message>
    <message>
        <source>%1 (not connected)</source>
        <translation>%1（未连接）</translation>
    </message>
    <message>
        <source>No sound output device to play the test tone on</source>
        <translation>没有可以播放测试音的声音输出设备</translation>
    </message>
    <message>
        <source>Audio devices</source>
        <translation>音频设备</translation>
    </message>
    <message>
        <source>Loudspeaker or headset</source>
        <translation>扬声器或耳机</translation>
    </message>
    <message>
        <source>Microphone</source>
        <translation>麦克风</translation>
    </message>
    <message>
        <source>Microphone level</source>
        <translation>麦克风音量</translation>
    </message>
    <message>
        <source>Test tone</source>
        <translation>测试音</translation>
    </message>
</context>
<context>
    <name>BroadcastDialog</name>
    <message>
        <source>All stations</source>
        <translation>全部车站</translation>
    </message>
    <message>
        <source>All trains</source>
        <translation>全部列车</translation>
    </message>
    <message>
        <source>Broadcast</source>
        <translation>广播呼叫</translation>
    </message>
    <message>
        <source>Broadcast call (one way: only you talk)</source>
        <translation>广播呼叫（单向：只有您讲话）</translation>
    </message>
    <message>
        <source>One subsystem:</source>
        <translation>一个子系统：</translation>
    </message>
</context>
<context>
    <name>CallsModel</name>
    <message>
        <source>%1 parties</source>
        <translation>%1 方</translation>
    </message>
    <message>
        <source>Call</source>
        <translation>呼叫</translation>
    </message>
    <message>
        <source>Duration</source>
        <translation>时长</translation>
    </message>
    <message>
        <source>Floor</source>
        <translation>话权</translation>
    </message>
    <message>
        <source>Group / parties</source>
        <translation>通话组 / 参与方</translation>
    </message>
</context>
<context>
    <name>CallsPane</name>
    <message>
        <source>%1 failed: %2</source>
        <translation>%1 失败：%2</translation>
    </message>
    <message>
        <source>Accept</source>
        <translation>接听</translation>
    </message>
    <message>
        <source>Accept call</source>
        <translation>接听呼叫</translation>
    </message>
    <message>
        <source>Broadcast</source>
        <translation>广播呼叫</translation>
    </message>
    <message>
        <source>Broadcast…</source>
        <translation>广播…</translation>
    </message>
    <message>
        <source>Dissolve</source>
        <translation>解除临时组</translation>
    </message>
    <message>
        <source>Dissolve…</source>
        <translation>解除…</translation>
    </message>
    <message>
        <source>End call</source>
        <translation>结束通话</translation>
    </message>
    <message>
        <source>End the selected call for everyone in it</source>
        <translation>为所有参与方结束所选通话</translation>
    </message>
    <message>
        <source>Force release</source>
        <translation>强拆</translation>
    </message>
    <message>
        <source>No calls in progress</source>
        <translation>当前没有通话</translation>
    </message>
    <message>
        <source>Patch</source>
        <translation>合并组</translation>
    </message>
    <message>
        <source>Patch…</source>
        <translation>合并组…</translation>
    </message>
    <message>
        <source>Private call</source>
        <translation>单呼</translation>
    </message>
    <message>
        <source>Private call…</source>
        <translation>单呼…</translation>
    </message>
    <message>
        <source>Regroup</source>
        <translation>动态重组</translation>
    </message>
    <message>
        <source>Regroup…</source>
        <translation>动态重组…</translation>
    </message>
    <message>
        <source>Reject</source>
        <translation>拒接</translation>
    </message>
    <message>
        <source>Reject call</source>
        <translation>拒接呼叫</translation>
    </message>
    <message>
        <source>force-released by dispatcher %1</source>
        <translation>调度员 %1 强拆</translation>
    </message>
    <message>
        <source>Click again to force-release</source>
        <translation>再次点击以强拆</translation>
    </message>
</context>
<context>
    <name>CommandStatus</name>
    <message>
        <source>%1 failed: %2</source>
        <translation>%1失败：%2</translation>
    </message>
    <message>
        <source>%1 refused: %2</source>
        <extracomment>how long an outcome stays on the status line, ms row height of the panes&apos; tables and trees: a large hit target for a gloved or tired hand</extracomment>
        <translation>%1被拒绝：%2</translation>
    </message>
</context>
<context>
    <name>Desk</name>
    <message>
        <source>Starting the test bench…</source>
        <extracomment>the font families in order of preference: CJK first so that Chinese never falls back to boxes PySide6 releases known to break the desk (6.12.0 aborts after a few thousand signal emits on Python 3.11) extra arguments for the demo&apos;s testbed (``--seed``, ``--rate``, ``--speed``, ``--line``) line file whose layout the desk draws (the demo uses the sample line) the event log&apos;s SQLite file (default: in the user&apos;s data folder) quit after this many seconds (tests, demos on a timer) run with the signed-in `DeskSession` once the desk is up; the desk closes when it returns (screenshots, scripted demos) the settings in force (TLS, plain ws, layout reset, PTT keys, diagnostics); None: the defaults test mode: the desk owns a test bench (with ``demo``, the pair too) and shows its panel where the desk&apos;s media may flow, over the settings (`trunkdesk demo --media janus --media-address ADDR`) longest wait for the tasks still pending when the desk&apos;s coroutine returns to end once cancelled</extracomment>
        <translation>正在启动测试台…</translation>
    </message>
    <message>
        <source>Starting the demo platform…</source>
        <translation>正在启动演示平台…</translation>
    </message>
    <message>
        <source>Connecting to %1…</source>
        <translation>正在连接 %1…</translation>
    </message>
    <message>
        <source>Cannot connect to the platform: %1</source>
        <translation>无法连接平台：%1</translation>
    </message>
    <message>
        <source>%1 failed: %2</source>
        <extracomment>how long a refused command stays in the status bar, ms</extracomment>
        <translation>%1 失败：%2</translation>
    </message>
</context>
<context>
    <name>DeskAudio</name>
    <message>
        <source>Sound output %1 is not connected: playing on %2</source>
        <extracomment>seconds of audio the output device buffers itself seconds of audio the input device hands over at a time (at most) ms between two tries of a device that failed seconds between two looks at the devices the sound server has (console/ui/pulse_devices.py) what is wrong with a device, by (direction, kind): %1 the detail (the configured name, the error), %2 the device</extracomment>
        <translation>声音输出设备 %1 未连接：改用 %2 播放</translation>
    </message>
    <message>
        <source>No sound output device: the desk&apos;s audio is not heard</source>
        <translation>没有声音输出设备：听不到调度台的声音</translation>
    </message>
    <message>
        <source>Sound output %2 failed (%1): trying again</source>
        <translation>声音输出设备 %2 故障（%1）：正在重试</translation>
    </message>
    <message>
        <source>Microphone %1 is not connected: using %2</source>
        <translation>麦克风 %1 未连接：改用 %2</translation>
    </message>
    <message>
        <source>No microphone: the desk&apos;s talk bursts carry no voice</source>
        <translation>没有麦克风：调度台讲话不会发出语音</translation>
    </message>
    <message>
        <source>Microphone %2 failed (%1): trying again</source>
        <translation>麦克风 %2 故障（%1）：正在重试</translation>
    </message>
</context>
<context>
    <name>DeskStatusBar</name>
    <message>
        <source>Platform problem: %1</source>
        <extracomment>how long a protocol problem stays in the message area, ms the platform&apos;s SFU is unreachable (its &quot;media plane down&quot; alarm): video and voice through it stopped shown (as connecting) until the desk knows its instances</extracomment>
        <translation>平台异常：%1</translation>
    </message>
    <message>
        <source>Media plane down: video and voice through the SFU stopped; the platform is reconnecting</source>
        <translation>媒体平面中断：经 SFU 的视频和语音已停止，平台正在重新连接</translation>
    </message>
    <message>
        <source>Split brain: %1 both claim active; the desk obeys the highest epoch</source>
        <translation>脑裂：%1 均声称主用，调度台以最高纪元为准</translation>
    </message>
    <message>
        <source>not signed in</source>
        <translation>未登录</translation>
    </message>
</context>
<context>
    <name>DeskWindow</name>
    <message>
        <source>About trunkdesk</source>
        <translation>关于 trunkdesk</translation>
    </message>
    <message>
        <source>Copy diagnostics</source>
        <translation>复制诊断信息</translation>
    </message>
    <message>
        <source>Diagnostics copied to the clipboard</source>
        <extracomment>bump when the dock set changes shape, so that an old saved layout is not applied to a new window default sizes (px) of the dock columns and rows at 1920x1080 each column&apos;s docks from top to bottom, with their heights the dispatch actions listed in the Dispatch menu, in this order the window was closed (the layout is saved by then)</extracomment>
        <translation>诊断信息已复制到剪贴板</translation>
    </message>
    <message>
        <source>&lt;h3&gt;trunkdesk %1&lt;/h3&gt;&lt;p&gt;Dispatch console for metro-line 5G trunking: group voice with floor control, private, emergency and broadcast calls, alarms, messages and dual-live failover.&lt;/p&gt;&lt;p&gt;Apache-2.0&lt;/p&gt;</source>
        <translation>&lt;h3&gt;trunkdesk %1&lt;/h3&gt;&lt;p&gt;地铁线路 5G 集群调度台：组呼与话权控制，单呼、紧急呼叫与广播呼叫，告警、消息，以及双活平台的主备切换。&lt;/p&gt;&lt;p&gt;Apache-2.0&lt;/p&gt;</translation>
    </message>
    <message>
        <source>trunkdesk — dispatch desk</source>
        <translation>trunkdesk — 调度台</translation>
    </message>
    <message>
        <source>&amp;File</source>
        <translation>文件(&amp;F)</translation>
    </message>
    <message>
        <source>&amp;Quit</source>
        <translation>退出(&amp;Q)</translation>
    </message>
    <message>
        <source>&amp;Dispatch</source>
        <translation>调度(&amp;D)</translation>
    </message>
    <message>
        <source>Select monitored group</source>
        <translation>选择监听组</translation>
    </message>
    <message>
        <source>&amp;View</source>
        <translation>视图(&amp;V)</translation>
    </message>
    <message>
        <source>Reset layout</source>
        <translation>恢复默认布局</translation>
    </message>
    <message>
        <source>&amp;Language</source>
        <translation>语言(&amp;L)</translation>
    </message>
    <message>
        <source>&amp;Help</source>
        <translation>帮助(&amp;H)</translation>
    </message>
    <message>
        <source>Keyboard shortcuts</source>
        <translation>快捷键</translation>
    </message>
</context>
<context>
    <name>DissolveDialog</name>
    <message>
        <source>Dissolve</source>
        <translation>解除临时组</translation>
    </message>
    <message>
        <source>Dissolve a temporary group (regroup or patch)</source>
        <translation>解除临时组（动态重组或合并组）</translation>
    </message>
</context>
<context>
    <name>DrivePanel</name>
    <message>
        <source> s</source>
        <translation> 秒</translation>
    </message>
    <message>
        <source>%1 cancels its emergency…</source>
        <translation>%1 正在取消紧急告警…</translation>
    </message>
    <message>
        <source>%1 comes back…</source>
        <translation>%1 正在恢复链路…</translation>
    </message>
    <message>
        <source>%1 gets its camera ready…</source>
        <translation>%1 正在准备摄像机…</translation>
    </message>
    <message>
        <source>%1 loses its link…</source>
        <translation>%1 正在断开链路…</translation>
    </message>
    <message>
        <source>%1 moves…</source>
        <translation>%1 正在移动…</translation>
    </message>
    <message>
        <source>%1 presses PTT…</source>
        <translation>%1 按下 PTT…</translation>
    </message>
    <message>
        <source>%1 raises an alarm…</source>
        <translation>%1 正在发出告警…</translation>
    </message>
    <message>
        <source>%1 raises an emergency…</source>
        <translation>%1 正在发起紧急呼叫…</translation>
    </message>
    <message>
        <source>%1 released PTT</source>
        <translation>%1 已松开 PTT</translation>
    </message>
    <message>
        <source>%1 releases PTT…</source>
        <translation>%1 松开 PTT…</translation>
    </message>
    <message>
        <source>%1 sends a status…</source>
        <translation>%1 正在发送状态…</translation>
    </message>
    <message>
        <source>%1 sends a text…</source>
        <translation>%1 正在发送短信…</translation>
    </message>
    <message>
        <source>%1 talks…</source>
        <translation>%1 正在讲话…</translation>
    </message>
    <message>
        <source>%1: floor %2</source>
        <translation>%1：话权 %2</translation>
    </message>
    <message>
        <source>A talk burst of this many seconds</source>
        <translation>讲话指定秒数后自动松开</translation>
    </message>
    <message>
        <source>A train stays there instead of running on</source>
        <translation>列车停在该处，不再继续运行</translation>
    </message>
    <message>
        <source>Alarm</source>
        <translation>告警</translation>
    </message>
    <message>
        <source>Alarm %1 raised</source>
        <translation>告警 %1 已发出</translation>
    </message>
    <message>
        <source>Camera ready: pull its video from the desk</source>
        <translation>摄像机已就绪：可从调度台调取其视频</translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation>取消</translation>
    </message>
    <message>
        <source>Choose a simulated terminal in the list to drive it</source>
        <translation>在列表中选择一个模拟终端进行操作</translation>
    </message>
    <message>
        <source>Code, text</source>
        <translation>代码、内容</translation>
    </message>
    <message>
        <source>Critical</source>
        <translation>严重</translation>
    </message>
    <message>
        <source>Driving %1 (%2)</source>
        <translation>正在操作 %1（%2）</translation>
    </message>
    <message>
        <source>Drop link</source>
        <translation>断开链路</translation>
    </message>
    <message>
        <source>Emergency</source>
        <translation>紧急</translation>
    </message>
    <message>
        <source>Emergency %1 raised</source>
        <translation>紧急告警 %1 已发起</translation>
    </message>
    <message>
        <source>Emergency cancelled</source>
        <translation>紧急告警已取消</translation>
    </message>
    <message>
        <source>Equipment</source>
        <translation>设备</translation>
    </message>
    <message>
        <source>Get the terminal&apos;s camera ready to send: a pull from the desk is answered at once</source>
        <translation>让终端的摄像机准备好发送：调度台调取视频时立即应答</translation>
    </message>
    <message>
        <source>Hold to talk</source>
        <translation>按住讲话</translation>
    </message>
    <message>
        <source>Imminent peril</source>
        <translation>紧迫危险</translation>
    </message>
    <message>
        <source>Info</source>
        <translation>提示</translation>
    </message>
    <message>
        <source>Link dropped</source>
        <translation>链路已断开</translation>
    </message>
    <message>
        <source>Link restored</source>
        <translation>链路已恢复</translation>
    </message>
    <message>
        <source>Link, video</source>
        <translation>链路、视频</translation>
    </message>
    <message>
        <source>Major</source>
        <translation>重要</translation>
    </message>
    <message>
        <source>Minor</source>
        <translation>次要</translation>
    </message>
    <message>
        <source>Move</source>
        <translation>移动</translation>
    </message>
    <message>
        <source>Move to</source>
        <translation>移动到</translation>
    </message>
    <message>
        <source>Raise</source>
        <translation>发起</translation>
    </message>
    <message>
        <source>Raise alarm</source>
        <translation>发出告警</translation>
    </message>
    <message>
        <source>Reported at %1</source>
        <translation>已上报位置：%1</translation>
    </message>
    <message>
        <source>Restore link</source>
        <translation>恢复链路</translation>
    </message>
    <message>
        <source>Send</source>
        <translation>发送</translation>
    </message>
    <message>
        <source>Send status</source>
        <translation>发送状态</translation>
    </message>
    <message>
        <source>Sensor</source>
        <translation>传感器</translation>
    </message>
    <message>
        <source>Start video</source>
        <translation>启动视频</translation>
    </message>
    <message>
        <source>Status</source>
        <translation>状态</translation>
    </message>
    <message>
        <source>Status %1 sent</source>
        <translation>状态 %1 已发送</translation>
    </message>
    <message>
        <source>Talk</source>
        <translation>讲话</translation>
    </message>
    <message>
        <source>Talk burst: floor %1</source>
        <translation>讲话：话权 %1</translation>
    </message>
    <message>
        <source>Terminal</source>
        <translation>终端</translation>
    </message>
    <message>
        <source>Text</source>
        <translation>短信</translation>
    </message>
    <message>
        <source>Text sent</source>
        <translation>短信已发送</translation>
    </message>
    <message>
        <source>Text the terminal sends</source>
        <translation>终端发送的短信内容</translation>
    </message>
    <message>
        <source>The terminal loses its link abruptly (no goodbye)</source>
        <translation>终端链路突然中断（不注销）</translation>
    </message>
    <message>
        <source>The terminal presses PTT while you hold this button</source>
        <translation>按住此按钮期间终端一直按下 PTT</translation>
    </message>
    <message>
        <source>Video analytics</source>
        <translation>视频分析</translation>
    </message>
    <message>
        <source>Voice</source>
        <translation>语音</translation>
    </message>
    <message>
        <source>at the station</source>
        <translation>在车站</translation>
    </message>
    <message>
        <source>code</source>
        <translation>代码</translation>
    </message>
    <message>
        <source>hold</source>
        <translation>停留</translation>
    </message>
    <message>
        <source>to the dispatcher (else to its home group)</source>
        <translation>发给调度员（否则发给其所属组）</translation>
    </message>
    <message>
        <source>towards %1</source>
        <translation>驶向 %1</translation>
    </message>
    <message>
        <source>what the alarm says</source>
        <translation>告警内容</translation>
    </message>
</context>
<context>
    <name>EmergenciesPane</name>
    <message>
        <source>%1 failed: %2</source>
        <translation>%1 失败：%2</translation>
    </message>
    <message>
        <source>Acknowledge</source>
        <translation>确认</translation>
    </message>
    <message>
        <source>Acknowledge alarm</source>
        <translation>确认告警</translation>
    </message>
    <message>
        <source>Acknowledge emergency</source>
        <translation>确认紧急呼叫</translation>
    </message>
    <message>
        <source>Cancel alert</source>
        <translation>取消紧急告警</translation>
    </message>
    <message>
        <source>Cancel emergency</source>
        <translation>取消紧急告警</translation>
    </message>
    <message>
        <source>Clear</source>
        <translation>清除</translation>
    </message>
    <message>
        <source>Clear alarm</source>
        <translation>清除告警</translation>
    </message>
    <message>
        <source>Show location</source>
        <translation>显示位置</translation>
    </message>
    <message>
        <source>Take call</source>
        <translation>接管通话</translation>
    </message>
    <message>
        <source>cancelled by dispatcher %1</source>
        <translation>调度员 %1 取消</translation>
    </message>
    <message>
        <source>Emergencies: %1 unacknowledged</source>
        <translation>紧急告警：%1 条未确认</translation>
    </message>
    <message>
        <source>Emergencies: all acknowledged</source>
        <translation>紧急告警：均已确认</translation>
    </message>
    <message>
        <source>Alarms: %1 unacknowledged</source>
        <translation>告警：%1 条未确认</translation>
    </message>
    <message>
        <source>Alarms: all acknowledged</source>
        <translation>告警：均已确认</translation>
    </message>
    <message>
        <source>%1 alarms raised</source>
        <translation>%1 条告警未处理</translation>
    </message>
    <message>
        <source>%1 emergency alerts unacknowledged</source>
        <translation>%1 条紧急告警未确认</translation>
    </message>
    <message>
        <source>Alarms: none</source>
        <translation>告警：无</translation>
    </message>
    <message>
        <source>Emergencies: none</source>
        <translation>紧急告警：无</translation>
    </message>
    <message>
        <source>Click again to cancel</source>
        <translation>再次点击以取消</translation>
    </message>
</context>
<context>
    <name>EmergencyActions</name>
    <message>
        <source>Take emergency call</source>
        <extracomment>which pane shows a terminal of each kind</extracomment>
        <translation>接管紧急通话</translation>
    </message>
</context>
<context>
    <name>EmergencyBanner</name>
    <message>
        <source>%1 ago</source>
        <translation>%1 前</translation>
    </message>
    <message>
        <source>%1 failed: %2</source>
        <translation>%1 失败：%2</translation>
    </message>
    <message>
        <source>%1 more unacknowledged</source>
        <translation>另有 %1 条未确认</translation>
    </message>
    <message>
        <source>Acknowledge</source>
        <translation>确认</translation>
    </message>
    <message>
        <source>Acknowledge (%1)</source>
        <translation>确认（%1）</translation>
    </message>
    <message>
        <source>Acknowledge emergency</source>
        <extracomment>half a blink of the border, ms an unacknowledged alert is on the banner: it must be on screen</extracomment>
        <translation>确认紧急呼叫</translation>
    </message>
    <message>
        <source>Cancel alert</source>
        <translation>取消告警</translation>
    </message>
    <message>
        <source>Cancel emergency</source>
        <translation>取消紧急告警</translation>
    </message>
    <message>
        <source>Click again to cancel</source>
        <translation>再次点击以取消</translation>
    </message>
    <message>
        <source>EMERGENCY</source>
        <translation>紧急呼叫</translation>
    </message>
    <message>
        <source>Show location</source>
        <translation>显示位置</translation>
    </message>
    <message>
        <source>Take call</source>
        <translation>接管通话</translation>
    </message>
    <message>
        <source>Talk in the emergency&apos;s group: hold PTT or Space</source>
        <translation>在紧急呼叫所在组讲话：按住 PTT 或空格键</translation>
    </message>
    <message>
        <source>Tone is off</source>
        <translation>提示音已关</translation>
    </message>
    <message>
        <source>Tone off</source>
        <translation>关闭提示音</translation>
    </message>
    <message>
        <source>cancelled by dispatcher %1</source>
        <translation>调度员 %1 取消</translation>
    </message>
</context>
<context>
    <name>EventLogPane</name>
    <message>
        <source>All kinds</source>
        <translation>全部类型</translation>
    </message>
    <message>
        <source>Any time</source>
        <extracomment>how many events the live view keeps quiet time after a change before the live view re-reads, ms; and its slow re-read without changes search results shown at most time ranges offered: (label, seconds back; None = any time)</extracomment>
        <translation>不限时间</translation>
    </message>
    <message>
        <source>Back to the latest events as they come</source>
        <translation>回到实时显示最新事件</translation>
    </message>
    <message>
        <source>Last 15 minutes</source>
        <translation>最近 15 分钟</translation>
    </message>
    <message>
        <source>Last 24 hours</source>
        <translation>最近 24 小时</translation>
    </message>
    <message>
        <source>Last 7 days</source>
        <translation>最近 7 天</translation>
    </message>
    <message>
        <source>Last 8 hours (a shift)</source>
        <translation>最近 8 小时（一个班次）</translation>
    </message>
    <message>
        <source>Last hour</source>
        <translation>最近 1 小时</translation>
    </message>
    <message>
        <source>Live</source>
        <translation>实时</translation>
    </message>
    <message>
        <source>Live: the latest %1 events</source>
        <translation>实时：最新 %1 条事件</translation>
    </message>
    <message>
        <source>Search</source>
        <translation>搜索</translation>
    </message>
    <message>
        <source>Search: %1 events found</source>
        <translation>搜索：找到 %1 条事件</translation>
    </message>
    <message>
        <source>Search: nothing found</source>
        <translation>搜索：未找到</translation>
    </message>
    <message>
        <source>Search: terminal, group, call, text… (Enter)</source>
        <translation>搜索：终端、通话组、呼叫、文字…（回车）</translation>
    </message>
    <message>
        <source>Searching…</source>
        <extracomment>the view now shows these events (after a live re-read or a search); for tests and the status line</extracomment>
        <translation>正在搜索…</translation>
    </message>
    <message>
        <source>The event log cannot be read: %1</source>
        <translation>无法读取事件日志：%1</translation>
    </message>
</context>
<context>
    <name>EventPlayback</name>
    <message>
        <source>Cannot play: %1</source>
        <extracomment>how often the Stop button&apos;s state follows the playback, ms</extracomment>
        <translation>无法播放：%1</translation>
    </message>
    <message>
        <source>Play</source>
        <translation>播放</translation>
    </message>
    <message>
        <source>Playing a recording of %1 s</source>
        <translation>正在播放 %1 秒的录音</translation>
    </message>
    <message>
        <source>Play the selected talk burst&apos;s recording under the live audio (or double-click it)</source>
        <translation>在实时语音下播放所选讲话的录音（或双击该行）</translation>
    </message>
    <message>
        <source>Stop</source>
        <translation>停止</translation>
    </message>
</context>
<context>
    <name>EventText</name>
    <message>
        <source>%1 %2 alarm from %3: %4</source>
        <translation>%3 的%1%2告警：%4</translation>
    </message>
    <message>
        <source>%1 ended: %2</source>
        <translation>%1结束：%2</translation>
    </message>
    <message>
        <source>%1 got the floor (%2)</source>
        <translation>%1 获得话权（%2）</translation>
    </message>
    <message>
        <source>%1 holds the floor (%2)</source>
        <translation>%1 占用话权（%2）</translation>
    </message>
    <message>
        <source>%1 in %2, started by %3</source>
        <extracomment>how a kind reads in a sentence; %n are filled by the kind&apos;s argument function below</extracomment>
        <translation>%2 的%1，由 %3 发起</translation>
    </message>
    <message>
        <source>%1 is calling this desk</source>
        <translation>%1 正在呼叫本调度台</translation>
    </message>
    <message>
        <source>%1 is in emergency</source>
        <translation>%1 处于紧急状态</translation>
    </message>
    <message>
        <source>%1 raised by %2 in %3</source>
        <translation>%2 在 %3 发起%1</translation>
    </message>
    <message>
        <source>%1 signed in via %2 (epoch %3)</source>
        <translation>%1 经 %2 登录（纪元 %3）</translation>
    </message>
    <message>
        <source>%1 signed out</source>
        <translation>%1 已退出</translation>
    </message>
    <message>
        <source>%1 started by %2</source>
        <translation>%2 发起%1</translation>
    </message>
    <message>
        <source>%1 was disabled</source>
        <translation>%1 已被遥毙</translation>
    </message>
    <message>
        <source>%1 gave the command %2: %3</source>
        <translation>%1 下达指令 %2：%3</translation>
    </message>
    <message>
        <source>Alarm</source>
        <translation>告警</translation>
    </message>
    <message>
        <source>Alarm acknowledged</source>
        <translation>告警已确认</translation>
    </message>
    <message>
        <source>Alarm cleared</source>
        <translation>告警已清除</translation>
    </message>
    <message>
        <source>Alarm from %1 acknowledged by %2: %3</source>
        <translation>%2 确认了 %1 的告警：%3</translation>
    </message>
    <message>
        <source>Alarm from %1 cleared: %2</source>
        <translation>%1 的告警已清除：%2</translation>
    </message>
    <message>
        <source>Call %1 is now a %2</source>
        <translation>呼叫 %1 变为%2</translation>
    </message>
    <message>
        <source>Call changed</source>
        <translation>呼叫变更</translation>
    </message>
    <message>
        <source>Call ended</source>
        <translation>呼叫结束</translation>
    </message>
    <message>
        <source>Call started</source>
        <extracomment>what each kind of event is called (the kind filter of the log pane lists these)</extracomment>
        <translation>呼叫开始</translation>
    </message>
    <message>
        <source>Commands got no answer: %1</source>
        <translation>指令未获应答：%1</translation>
    </message>
    <message>
        <source>Commands now go to platform instance %1 (epoch %2)</source>
        <translation>指令现发往平台实例 %1（纪元 %2）</translation>
    </message>
    <message>
        <source>Commands unanswered</source>
        <translation>指令无应答</translation>
    </message>
    <message>
        <source>Dispatcher command</source>
        <translation>调度指令</translation>
    </message>
    <message>
        <source>Talk burst (recorded)</source>
        <translation>讲话（已录音）</translation>
    </message>
    <message>
        <source>Recording off</source>
        <translation>录音已关闭</translation>
    </message>
    <message>
        <source>Emergency</source>
        <translation>紧急呼叫</translation>
    </message>
    <message>
        <source>Emergency acknowledged</source>
        <translation>紧急呼叫已确认</translation>
    </message>
    <message>
        <source>Emergency cancelled</source>
        <translation>紧急呼叫已取消</translation>
    </message>
    <message>
        <source>Plan proposed</source>
        <translation>预案提议</translation>
    </message>
    <message>
        <source>Plan run</source>
        <translation>预案执行</translation>
    </message>
    <message>
        <source>Plan step</source>
        <translation>预案步骤</translation>
    </message>
    <message>
        <source>Plan acknowledged</source>
        <translation>预案已确认</translation>
    </message>
    <message>
        <source>Plan escalated</source>
        <translation>预案已升级</translation>
    </message>
    <message>
        <source>Plan dismissed</source>
        <translation>预案已忽略</translation>
    </message>
    <message>
        <source>%1 talked in %2 for %3 s (recorded: Play)</source>
        <translation>%1 在 %2 讲话 %3 秒（已录音：可播放）</translation>
    </message>
    <message>
        <source>%1 talked in a private call for %2 s (recorded: Play)</source>
        <translation>%1 在单呼中讲话 %2 秒（已录音：可播放）</translation>
    </message>
    <message>
        <source>Nothing is recorded: the folder %1 cannot be used (%2)</source>
        <translation>不录音：文件夹 %1 无法使用（%2）</translation>
    </message>
    <message>
        <source>Emergency of %1 acknowledged by %2</source>
        <translation>%2 确认了 %1 的紧急呼叫</translation>
    </message>
    <message>
        <source>Emergency of %1 cancelled</source>
        <translation>%1 的紧急呼叫已取消</translation>
    </message>
    <message>
        <source>Emergency of %1 is active</source>
        <translation>%1 的紧急呼叫处于激活状态</translation>
    </message>
    <message>
        <source>Failover</source>
        <translation>主备切换</translation>
    </message>
    <message>
        <source>Floor granted</source>
        <translation>话权授予</translation>
    </message>
    <message>
        <source>Floor revoked</source>
        <translation>话权收回</translation>
    </message>
    <message>
        <source>Floor taken</source>
        <translation>话权占用</translation>
    </message>
    <message>
        <source>Incoming call</source>
        <translation>来电</translation>
    </message>
    <message>
        <source>No platform instance can serve: commands wait</source>
        <translation>没有可服务的平台实例：指令等待中</translation>
    </message>
    <message>
        <source>Platform error</source>
        <translation>平台错误</translation>
    </message>
    <message>
        <source>Platform instance %1 is %2 (epoch %3)</source>
        <translation>平台实例 %1 为%2（纪元 %3）</translation>
    </message>
    <message>
        <source>Platform role</source>
        <translation>平台角色</translation>
    </message>
    <message>
        <source>Platform unreachable</source>
        <translation>平台不可达</translation>
    </message>
    <message>
        <source>Sign-in failed</source>
        <translation>登录失败</translation>
    </message>
    <message>
        <source>Sign-in of %1 failed: %2</source>
        <translation>%1 登录失败：%2</translation>
    </message>
    <message>
        <source>Signed in</source>
        <translation>已登录</translation>
    </message>
    <message>
        <source>Signed out</source>
        <translation>已退出</translation>
    </message>
    <message>
        <source>Split brain</source>
        <translation>脑裂</translation>
    </message>
    <message>
        <source>Split brain: %1 both claim to be active</source>
        <translation>脑裂：%1 均声称主用</translation>
    </message>
    <message>
        <source>Status %1 from %2 to %3</source>
        <translation>%2 向 %3 发送状态 %1</translation>
    </message>
    <message>
        <source>Status message</source>
        <translation>状态消息</translation>
    </message>
    <message>
        <source>Temporary group %1 created with %2 members</source>
        <translation>已建立临时组 %1，%2 名成员</translation>
    </message>
    <message>
        <source>Temporary group %1 dissolved</source>
        <translation>临时组 %1 已解除</translation>
    </message>
    <message>
        <source>Temporary group %1 now has %2 members</source>
        <translation>临时组 %1 现有 %2 名成员</translation>
    </message>
    <message>
        <source>Temporary group changed</source>
        <translation>临时组变更</translation>
    </message>
    <message>
        <source>Temporary group created</source>
        <translation>临时组建立</translation>
    </message>
    <message>
        <source>Temporary group dissolved</source>
        <translation>临时组解除</translation>
    </message>
    <message>
        <source>Terminal disabled</source>
        <translation>终端遥毙</translation>
    </message>
    <message>
        <source>Terminal in emergency</source>
        <translation>终端紧急状态</translation>
    </message>
    <message>
        <source>Text from %1 to %2: “%3”</source>
        <translation>%1 发给 %2 的短信：“%3”</translation>
    </message>
    <message>
        <source>Text message</source>
        <translation>短信</translation>
    </message>
    <message>
        <source>The floor was revoked: %1</source>
        <translation>话权被收回：%1</translation>
    </message>
    <message>
        <source>The platform sent something unusable: %1</source>
        <translation>平台发来无法使用的数据：%1</translation>
    </message>
    <message>
        <source>Video failed</source>
        <translation>视频失败</translation>
    </message>
    <message>
        <source>Video from %1 failed: %2</source>
        <translation>%1 的视频失败：%2</translation>
    </message>
    <message>
        <source>Video from %1 is live</source>
        <translation>%1 的视频已接通</translation>
    </message>
    <message>
        <source>Video from %1 stopped</source>
        <translation>%1 的视频已停止</translation>
    </message>
    <message>
        <source>Video live</source>
        <translation>视频接通</translation>
    </message>
    <message>
        <source>Video stopped</source>
        <translation>视频停止</translation>
    </message>
    <message>
        <source>acknowledge alarm</source>
        <translation>确认告警</translation>
    </message>
    <message>
        <source>acknowledge emergency</source>
        <translation>确认紧急呼叫</translation>
    </message>
    <message>
        <source>active</source>
        <translation>主用</translation>
    </message>
    <message>
        <source>answer a call</source>
        <translation>接听呼叫</translation>
    </message>
    <message>
        <source>broadcast</source>
        <translation>广播呼叫</translation>
    </message>
    <message>
        <source>cancel emergency</source>
        <translation>取消紧急告警</translation>
    </message>
    <message>
        <source>clear alarm</source>
        <translation>清除告警</translation>
    </message>
    <message>
        <source>denied</source>
        <translation>被拒绝</translation>
    </message>
    <message>
        <source>disable terminal</source>
        <translation>遥毙终端</translation>
    </message>
    <message>
        <source>dissolve group</source>
        <translation>解除临时组</translation>
    </message>
    <message>
        <source>done</source>
        <translation>完成</translation>
    </message>
    <message>
        <source>enable terminal</source>
        <translation>复活终端</translation>
    </message>
    <message>
        <source>end a call</source>
        <translation>结束通话</translation>
    </message>
    <message>
        <source>skipped</source>
        <translation>已跳过</translation>
    </message>
    <message>
        <source>everyone</source>
        <translation>所有人</translation>
    </message>
    <message>
        <source>failed</source>
        <translation>失败</translation>
    </message>
    <message>
        <source>force release</source>
        <translation>强拆</translation>
    </message>
    <message>
        <source>granted</source>
        <translation>已授予</translation>
    </message>
    <message>
        <source>monitor groups</source>
        <translation>监听通话组</translation>
    </message>
    <message>
        <source>override the floor</source>
        <translation>强插话权</translation>
    </message>
    <message>
        <source>passenger screens</source>
        <translation>乘客信息屏</translation>
    </message>
    <message>
        <source>patch groups</source>
        <translation>合并组</translation>
    </message>
    <message>
        <source>Plan “%1” proposed for: %2</source>
        <translation>已提议预案“%1”：%2</translation>
    </message>
    <message>
        <source>%1 ran plan “%2”</source>
        <translation>%1 执行了预案“%2”</translation>
    </message>
    <message>
        <source>Plan “%1”, step %2 (%3): %4</source>
        <translation>预案“%1”第 %2 步（%3）：%4</translation>
    </message>
    <message>
        <source>Plan “%1” acknowledged: %2</source>
        <translation>预案“%1”已确认：%2</translation>
    </message>
    <message>
        <source>Plan “%1” escalated: nobody acknowledged it in %2 s</source>
        <translation>预案“%1”已升级：%2 秒内无人确认</translation>
    </message>
    <message>
        <source>%1 dismissed plan “%2”</source>
        <translation>%1 忽略了预案“%2”</translation>
    </message>
    <message>
        <source>press PTT</source>
        <translation>按下 PTT</translation>
    </message>
    <message>
        <source>private call</source>
        <translation>单呼</translation>
    </message>
    <message>
        <source>pull video</source>
        <translation>调取视频</translation>
    </message>
    <message>
        <source>pause video</source>
        <translation>暂停视频</translation>
    </message>
    <message>
        <source>resume video</source>
        <translation>恢复视频</translation>
    </message>
    <message>
        <source>replay</source>
        <translation>回放</translation>
    </message>
    <message>
        <source>play a recording</source>
        <translation>播放录音</translation>
    </message>
    <message>
        <source>queued</source>
        <translation>排队中</translation>
    </message>
    <message>
        <source>refused (%1)</source>
        <translation>被拒绝（%1）</translation>
    </message>
    <message>
        <source>regroup</source>
        <translation>动态重组</translation>
    </message>
    <message>
        <source>release PTT</source>
        <translation>松开 PTT</translation>
    </message>
    <message>
        <source>released</source>
        <translation>已释放</translation>
    </message>
    <message>
        <source>select talk group</source>
        <translation>选择讲话组</translation>
    </message>
    <message>
        <source>send status</source>
        <translation>发送状态</translation>
    </message>
    <message>
        <source>send text</source>
        <translation>发送短信</translation>
    </message>
    <message>
        <source>standby</source>
        <translation>备用</translation>
    </message>
    <message>
        <source>stop video</source>
        <translation>停止视频</translation>
    </message>
</context>
<context>
    <name>EventsModel</name>
    <message>
        <source>Event</source>
        <translation>事件</translation>
    </message>
    <message>
        <source>Time</source>
        <translation>时间</translation>
    </message>
    <message>
        <source>What happened</source>
        <translation>经过</translation>
    </message>
    <message>
        <source>Who</source>
        <translation>操作方</translation>
    </message>
</context>
<context>
    <name>FaultsPanel</name>
    <message>
        <source>%1 %2…</source>
        <extracomment>the rows shown only when the bench has what they break every widget of a row (to hide the rows the bench has nothing for)</extracomment>
        <translation>正在对 %2 执行%1…</translation>
    </message>
    <message>
        <source>%1: %2 done</source>
        <translation>%1：%2 已完成</translation>
    </message>
    <message>
        <source>desk sees: media plane down</source>
        <translation>调度台所见：媒体面中断</translation>
    </message>
    <message>
        <source>desk sees: media plane up</source>
        <translation>调度台所见：媒体面正常</translation>
    </message>
    <message>
        <source>Faults need the test bench&apos;s own pair: start the desk with trunkdesk demo --test-mode.</source>
        <translation>故障注入需要测试台自己的双活平台：请用 trunkdesk demo --test-mode 启动调度台。</translation>
    </message>
    <message>
        <source>Janus (media plane)</source>
        <translation>Janus（媒体面）</translation>
    </message>
    <message>
        <source>Freeze every link to and from it: its clients, the pair link and the witness</source>
        <translation>冻结进出它的所有链路：客户端、双活互联链路和仲裁</translation>
    </message>
    <message>
        <source>SIGKILL Janus: every feed and voice through it stops; the desk shows the media plane down</source>
        <translation>SIGKILL Janus：经由它的所有视频和语音中断；调度台显示媒体面中断</translation>
    </message>
    <message>
        <source>SIGSTOP Janus: a hung media server, its sockets open</source>
        <translation>SIGSTOP Janus：媒体服务器挂起，套接字保持打开</translation>
    </message>
    <message>
        <source>SIGCONT: the paused Janus runs again</source>
        <translation>SIGCONT：已暂停的 Janus 恢复运行</translation>
    </message>
    <message>
        <source>Start Janus again on its ports: the media comes back by itself</source>
        <translation>在原端口重新启动 Janus：媒体自动恢复</translation>
    </message>
    <message>
        <source>Instance A</source>
        <translation>实例 A</translation>
    </message>
    <message>
        <source>Instance B</source>
        <translation>实例 B</translation>
    </message>
    <message>
        <source>Isolate</source>
        <translation>隔离</translation>
    </message>
    <message>
        <source>Kill</source>
        <translation>强制终止</translation>
    </message>
    <message>
        <source>Let its links flow again</source>
        <translation>恢复其链路</translation>
    </message>
    <message>
        <source>Pause</source>
        <translation>暂停</translation>
    </message>
    <message>
        <source>Restart</source>
        <translation>重启</translation>
    </message>
    <message>
        <source>Restore</source>
        <translation>解除隔离</translation>
    </message>
    <message>
        <source>Resume</source>
        <translation>恢复运行</translation>
    </message>
    <message>
        <source>SIGCONT: a paused process runs again</source>
        <translation>SIGCONT：暂停的进程继续运行</translation>
    </message>
    <message>
        <source>SIGKILL: the process vanishes without a word</source>
        <translation>SIGKILL：进程立即消失，不留任何通知</translation>
    </message>
    <message>
        <source>SIGSTOP: frozen with its sockets open</source>
        <translation>SIGSTOP：进程冻结，套接字保持打开</translation>
    </message>
    <message>
        <source>Start it again on its ports</source>
        <translation>在原端口上重新启动</translation>
    </message>
    <message>
        <source>Witness</source>
        <translation>仲裁</translation>
    </message>
    <message>
        <source>active</source>
        <translation>主用</translation>
    </message>
    <message>
        <source>desk sees: %1, link up</source>
        <translation>调度台所见：%1，链路正常</translation>
    </message>
    <message>
        <source>desk sees: link %1 (was %2)</source>
        <translation>调度台所见：链路 %1（原为%2）</translation>
    </message>
    <message>
        <source>isolated</source>
        <translation>已隔离</translation>
    </message>
    <message>
        <source>paused</source>
        <translation>已暂停</translation>
    </message>
    <message>
        <source>running</source>
        <translation>运行中</translation>
    </message>
    <message>
        <source>standby</source>
        <translation>备用</translation>
    </message>
    <message>
        <source>stopped</source>
        <translation>已停止</translation>
    </message>
</context>
<context>
    <name>FeedModel</name>
    <message>
        <source>From</source>
        <translation>发送方</translation>
    </message>
    <message>
        <source>Message</source>
        <translation>内容</translation>
    </message>
    <message>
        <source>Passenger screens: %1</source>
        <translation>乘客信息屏：%1</translation>
    </message>
    <message>
        <source>Status %1</source>
        <translation>状态 %1</translation>
    </message>
    <message>
        <source>Time</source>
        <translation>时间</translation>
    </message>
    <message>
        <source>To</source>
        <translation>接收方</translation>
    </message>
    <message>
        <source>URGENT on passenger screens: %1</source>
        <translation>紧急 · 乘客信息屏：%1</translation>
    </message>
    <message>
        <source>all trains</source>
        <translation>全部列车</translation>
    </message>
    <message>
        <source>everyone</source>
        <translation>所有人</translation>
    </message>
    <message>
        <source>trains %1</source>
        <translation>列车 %1</translation>
    </message>
</context>
<context>
    <name>FeedsModel</name>
    <message>
        <source>Source</source>
        <translation>来源</translation>
    </message>
    <message>
        <source>Kind</source>
        <translation>类型</translation>
    </message>
    <message>
        <source>kbit/s</source>
        <translation>千比特/秒</translation>
    </message>
    <message>
        <source>fps</source>
        <translation>帧/秒</translation>
    </message>
    <message>
        <source>Jitter ms</source>
        <translation>抖动 ms</translation>
    </message>
    <message>
        <source>Loss %</source>
        <translation>丢包 %</translation>
    </message>
    <message>
        <source>State</source>
        <translation>状态</translation>
    </message>
    <message>
        <source>Video</source>
        <translation>视频</translation>
    </message>
    <message>
        <source>Voice</source>
        <translation>语音</translation>
    </message>
    <message>
        <source>ended</source>
        <translation>已结束</translation>
    </message>
    <message>
        <source>warning</source>
        <translation>告警</translation>
    </message>
    <message>
        <source>live</source>
        <translation>正常</translation>
    </message>
</context>
<context>
    <name>GroupsModel</name>
    <message>
        <source>%1 (talk group)</source>
        <translation>%1（讲话组）</translation>
    </message>
    <message>
        <source>%1 waiting</source>
        <translation>%1 人排队</translation>
    </message>
    <message>
        <source>Call running, floor free</source>
        <translation>通话中，话权空闲</translation>
    </message>
    <message>
        <source>EMERGENCY</source>
        <translation>紧急呼叫</translation>
    </message>
    <message>
        <source>Floor</source>
        <translation>话权</translation>
    </message>
    <message>
        <source>Group</source>
        <translation>通话组</translation>
    </message>
    <message>
        <source>Key</source>
        <translation>快捷键</translation>
    </message>
    <message>
        <source>No call</source>
        <translation>无通话</translation>
    </message>
    <message>
        <source>Queue</source>
        <translation>排队</translation>
    </message>
    <message>
        <source>Someone holds the floor</source>
        <translation>有人占用话权</translation>
    </message>
    <message>
        <source>free</source>
        <translation>空闲</translation>
    </message>
</context>
<context>
    <name>GroupsPane</name>
    <message>
        <source>%1 failed: %2</source>
        <translation>%1 失败：%2</translation>
    </message>
    <message>
        <source>%1 is talking (%2)</source>
        <translation>%1 正在讲话（%2）</translation>
    </message>
    <message>
        <source>Choose the groups this desk listens to</source>
        <translation>选择本调度台监听的通话组</translation>
    </message>
    <message>
        <source>Click a group above to talk in it.</source>
        <translation>点击上方的通话组即可在该组讲话。</translation>
    </message>
    <message>
        <source>Floor free</source>
        <translation>话权空闲</translation>
    </message>
    <message>
        <source>Monitor groups</source>
        <translation>监听通话组</translation>
    </message>
    <message>
        <source>Monitored groups</source>
        <translation>监听的通话组</translation>
    </message>
    <message>
        <source>Monitored groups…</source>
        <translation>监听组…</translation>
    </message>
    <message>
        <source>No call — PTT starts one</source>
        <translation>无通话 — 按 PTT 即发起</translation>
    </message>
    <message>
        <source>No talk group selected</source>
        <translation>未选择讲话组</translation>
    </message>
    <message>
        <source>Queue: %1 waiting</source>
        <translation>排队：%1 人</translation>
    </message>
    <message>
        <source>Queue: nobody waiting</source>
        <translation>排队：无</translation>
    </message>
    <message>
        <source>Select talk group</source>
        <translation>选择讲话组</translation>
    </message>
    <message>
        <source>Talk group: %1</source>
        <translation>讲话组：%1</translation>
    </message>
    <message>
        <source>You hold the floor</source>
        <translation>您正占用话权</translation>
    </message>
</context>
<context>
    <name>HandsetsModel</name>
    <message>
        <source>Available</source>
        <extracomment>the staff radios&apos; pre-defined status codes (MCData status) in the dispatcher&apos;s words</extracomment>
        <translation>空闲</translation>
    </message>
    <message>
        <source>Busy</source>
        <translation>忙碌</translation>
    </message>
    <message>
        <source>En route</source>
        <translation>前往途中</translation>
    </message>
    <message>
        <source>Groups</source>
        <translation>通话组</translation>
    </message>
    <message>
        <source>Home: %1</source>
        <extracomment>a status that asks for the dispatcher&apos;s attention where its last location puts it: a station code or an area (None: no fix, shown at home)</extracomment>
        <translation>归属：%1</translation>
    </message>
    <message>
        <source>ID</source>
        <translation>编号</translation>
    </message>
    <message>
        <source>Kind</source>
        <translation>类型</translation>
    </message>
    <message>
        <source>Name</source>
        <translation>名称</translation>
    </message>
    <message>
        <source>Needs assistance</source>
        <translation>请求支援</translation>
    </message>
    <message>
        <source>Now at: %1</source>
        <translation>当前位置：%1</translation>
    </message>
    <message>
        <source>On site</source>
        <translation>已到场</translation>
    </message>
    <message>
        <source>Presence</source>
        <translation>在线状态</translation>
    </message>
    <message>
        <source>Station / area</source>
        <translation>车站/区域</translation>
    </message>
    <message>
        <source>Status</source>
        <translation>状态</translation>
    </message>
</context>
<context>
    <name>HandsetsPane</name>
    <message>
        <source>All groups</source>
        <extracomment>the presence choices of the filter: (key, presences); &quot;reachable&quot; is any presence the desk can talk to</extracomment>
        <translation>全部通话组</translation>
    </message>
    <message>
        <source>All stations</source>
        <translation>全部车站</translation>
    </message>
    <message>
        <source>Any state</source>
        <translation>全部状态</translation>
    </message>
    <message>
        <source>Call</source>
        <translation>呼叫</translation>
    </message>
    <message>
        <source>Call %1 to %2 set up</source>
        <translation>已向 %2 发起呼叫 %1</translation>
    </message>
    <message>
        <source>Call (full duplex)</source>
        <translation>呼叫（全双工）</translation>
    </message>
    <message>
        <source>Calling %1…</source>
        <translation>正在呼叫 %1…</translation>
    </message>
    <message>
        <source>Filter: id, name, station, group…</source>
        <translation>筛选：编号、名称、车站、通话组…</translation>
    </message>
    <message>
        <source>Message to %1:</source>
        <translation>发给 %1 的消息：</translation>
    </message>
    <message>
        <source>Opening video of %1…</source>
        <translation>正在打开 %1 的视频…</translation>
    </message>
    <message>
        <source>Reachable</source>
        <translation>可达</translation>
    </message>
    <message>
        <source>Send</source>
        <translation>发送</translation>
    </message>
    <message>
        <source>Sending a text to %1…</source>
        <translation>正在向 %1 发送短消息…</translation>
    </message>
    <message>
        <source>Text sent to %1</source>
        <translation>短消息已发送给 %1</translation>
    </message>
    <message>
        <source>Text to %1</source>
        <translation>发短消息给 %1</translation>
    </message>
    <message>
        <source>Text…</source>
        <translation>短消息…</translation>
    </message>
    <message>
        <source>Video</source>
        <translation>视频</translation>
    </message>
    <message>
        <source>Video %1 of %2 opened</source>
        <translation>已打开 %2 的视频 %1</translation>
    </message>
</context>
<context>
    <name>IncomingModel</name>
    <message>
        <source>%1 is calling you (%2)</source>
        <translation>%1 正在呼叫您（%2）</translation>
    </message>
</context>
<context>
    <name>InstanceBadge</name>
    <message>
        <source>active</source>
        <translation>主用</translation>
    </message>
    <message>
        <source>standby</source>
        <translation>备用</translation>
    </message>
    <message>
        <source>role unknown</source>
        <translation>角色未知</translation>
    </message>
    <message>
        <source>epoch %1</source>
        <translation>纪元 %1</translation>
    </message>
    <message>
        <source>link up</source>
        <translation>链路正常</translation>
    </message>
    <message>
        <source>connecting</source>
        <translation>正在连接</translation>
    </message>
    <message>
        <source>link down</source>
        <translation>链路中断</translation>
    </message>
    <message>
        <source>heartbeat %1 s ago</source>
        <translation>心跳 %1 秒前</translation>
    </message>
    <message>
        <source>this desk&apos;s commands go to this instance</source>
        <translation>本调度台的指令经此实例下发</translation>
    </message>
    <message>
        <source>Platform instance %1</source>
        <translation>平台实例 %1</translation>
    </message>
    <message>
        <source>pair link up</source>
        <translation>主备互联链路正常</translation>
    </message>
</context>
<context>
    <name>LineDiagram</name>
    <message>
        <source>%1 m</source>
        <translation>%1 米</translation>
    </message>
    <message>
        <source>Up →</source>
        <extracomment>a train was clicked (its radio id), or the selection was cleared (&quot;&quot;) a train was double-clicked (radio id): the pane calls it the dispatcher asked for a train&apos;s context menu (radio id, global position) a callable saying whether to show Chinese names (default: the desk&apos;s language) repaints asked for by model changes, and paints done (tests check the coalescing)</extracomment>
        <translation>上行 →</translation>
    </message>
    <message>
        <source>elevated or at grade</source>
        <translation>高架或地面</translation>
    </message>
    <message>
        <source>underground</source>
        <translation>地下</translation>
    </message>
    <message>
        <source>← Down</source>
        <translation>← 下行</translation>
    </message>
</context>
<context>
    <name>MessagesPane</name>
    <message>
        <source>%1 failed: %2</source>
        <translation>%1 失败：%2</translation>
    </message>
    <message>
        <source>All trains</source>
        <translation>全部列车</translation>
    </message>
    <message>
        <source>Choose a terminal or a group to send to</source>
        <translation>请选择接收的终端或通话组</translation>
    </message>
    <message>
        <source>Choose the trains, or All trains</source>
        <translation>请选择列车，或勾选全部列车</translation>
    </message>
    <message>
        <source>Group</source>
        <translation>通话组</translation>
    </message>
    <message>
        <source>Message text (Enter sends)</source>
        <translation>短信内容（回车发送）</translation>
    </message>
    <message>
        <source>Passenger screens</source>
        <translation>乘客信息屏</translation>
    </message>
    <message>
        <source>Passenger screens (PIS)</source>
        <translation>乘客信息屏（PIS）</translation>
    </message>
    <message>
        <source>Send status</source>
        <translation>发送状态</translation>
    </message>
    <message>
        <source>Send text</source>
        <translation>发送短信</translation>
    </message>
    <message>
        <source>Sent to %1 recipients</source>
        <translation>已发送给 %1 个接收方</translation>
    </message>
    <message>
        <source>Show for</source>
        <translation>显示时长</translation>
    </message>
    <message>
        <source>Show on passenger screens</source>
        <translation>发布到乘客信息屏</translation>
    </message>
    <message>
        <source>Shown on %1 trains</source>
        <translation>已在 %1 列列车上显示</translation>
    </message>
    <message>
        <source>Terminal</source>
        <translation>终端</translation>
    </message>
    <message>
        <source>Text / status</source>
        <translation>短信 / 状态</translation>
    </message>
    <message>
        <source>Urgent</source>
        <translation>紧急</translation>
    </message>
    <message>
        <source>Write the message first</source>
        <translation>请先填写短信内容</translation>
    </message>
    <message>
        <source>Write the passenger message first</source>
        <translation>请先填写乘客信息</translation>
    </message>
    <message>
        <source>Your role may not push passenger messages</source>
        <translation>您的角色无权发布乘客信息</translation>
    </message>
    <message>
        <source>id or name</source>
        <translation>编号或名称</translation>
    </message>
    <message>
        <source>Choose trains…</source>
        <translation>选择列车…</translation>
    </message>
    <message>
        <source>Trains</source>
        <extracomment>the terminal ids listed in the terminal box (checked on every terminals batch: a set, not the combo) the dispatcher picked a group here; until then the box follows the talk group the running numbers chosen when not every train is addressed</extracomment>
        <translation>列车</translation>
    </message>
    <message>
        <source>Trains: %1</source>
        <translation>列车：%1</translation>
    </message>
    <message>
        <source>Chinese: 列车临时停车，请耐心等候</source>
        <translation>中文：列车临时停车，请耐心等候</translation>
    </message>
    <message>
        <source>English: The train is held briefly…</source>
        <translation>英文：The train is held briefly…</translation>
    </message>
    <message>
        <source>Status </source>
        <translation>状态 </translation>
    </message>
</context>
<context>
    <name>MonitorDialog</name>
    <message>
        <source>Listen to these groups</source>
        <translation>监听以下通话组</translation>
    </message>
    <message>
        <source>Monitored groups</source>
        <translation>监听的通话组</translation>
    </message>
</context>
<context>
    <name>Panes</name>
    <message>
        <source>Test mode</source>
        <translation>测试模式</translation>
    </message>
    <message>
        <source>Trains and line</source>
        <extracomment>Qt signals re-emitted from the core World&apos;s changes (coalesced) the core World (read state here; never keep copies that can go stale) the core Desk: the dispatcher&apos;s commands (coroutines: run them with ``asyncio.ensure_future``) the shell&apos;s central actions (``actions.action(&quot;ack_emergency&quot;).triggered`` ...); keys the user can change the shell&apos;s commands behind those keys; ``commands.alertFocused`` says which alert &quot;next alert&quot; chose in the default layout, share a tabbed dock with this pane in the default layout, split this pane&apos;s dock off (pane name, orientation): Horizontal puts it to the right of that pane, Vertical below it icon of the dock (shown on its tab when tabbed), a name in resources/icons closed in the default layout (the View menu opens it) The default layout for 1920x1080: the line across the top (the video wall a tab beside it); groups and PTT on the left; emergencies and calls in the middle; stations, staff, messages and the log on the right.</extracomment>
        <translation>列车与线路</translation>
    </message>
    <message>
        <source>Video wall</source>
        <translation>视频墙</translation>
    </message>
    <message>
        <source>Train graph</source>
        <translation>列车运行图</translation>
    </message>
    <message>
        <source>Link and media quality</source>
        <translation>通信质量</translation>
    </message>
    <message>
        <source>Groups and PTT</source>
        <translation>通话组与 PTT</translation>
    </message>
    <message>
        <source>Emergencies and alarms</source>
        <translation>紧急呼叫与告警</translation>
    </message>
    <message>
        <source>Calls</source>
        <translation>呼叫</translation>
    </message>
    <message>
        <source>Emergency plans</source>
        <translation>应急预案</translation>
    </message>
    <message>
        <source>Stations</source>
        <translation>车站</translation>
    </message>
    <message>
        <source>Handsets and recorders</source>
        <translation>手持台与执法记录仪</translation>
    </message>
    <message>
        <source>Messages</source>
        <translation>消息</translation>
    </message>
    <message>
        <source>Event log</source>
        <translation>事件日志</translation>
    </message>
</context>
<context>
    <name>PatchDialog</name>
    <message>
        <source>Chinese name</source>
        <translation>中文名称</translation>
    </message>
    <message>
        <source>Join two or more groups into one</source>
        <translation>将两个或多个通话组合并为一个</translation>
    </message>
    <message>
        <source>Name</source>
        <translation>名称</translation>
    </message>
    <message>
        <source>Patch %1</source>
        <translation>合并组 %1</translation>
    </message>
    <message>
        <source>Patch groups</source>
        <translation>合并通话组</translation>
    </message>
</context>
<context>
    <name>Picker</name>
    <message>
        <source>Type to filter by id or name…</source>
        <extracomment>the model role holding the text the filter box matches the model role holding the choice&apos;s id the chosen ids changed (selection or check boxes)</extracomment>
        <translation>输入编号或名称筛选…</translation>
    </message>
</context>
<context>
    <name>PisDialog</name>
    <message>
        <source> s</source>
        <translation> 秒</translation>
    </message>
    <message>
        <source>Message to the passenger screens of every train</source>
        <translation>发送到全部列车的乘客信息屏</translation>
    </message>
    <message>
        <source>Message to the passenger screens of train %1</source>
        <translation>发送到 %1 次列车的乘客信息屏</translation>
    </message>
    <message>
        <source>Passenger information</source>
        <extracomment>running numbers (empty: every train)</extracomment>
        <translation>乘客信息（PIS）</translation>
    </message>
    <message>
        <source>Send to screens</source>
        <translation>发送到信息屏</translation>
    </message>
    <message>
        <source>Show for</source>
        <translation>显示时长</translation>
    </message>
    <message>
        <source>Text (Chinese)</source>
        <translation>中文内容</translation>
    </message>
    <message>
        <source>Text (English)</source>
        <translation>英文内容</translation>
    </message>
    <message>
        <source>Urgent (interrupts what the screens show)</source>
        <translation>紧急（立即插播）</translation>
    </message>
</context>
<context>
    <name>PlaceholderPane</name>
    <message>
        <source>This pane is not available in this build.</source>
        <translation>此版本未包含该面板。</translation>
    </message>
</context>
<context>
    <name>PlanText</name>
    <message>
        <source>To do</source>
        <translation>待执行</translation>
    </message>
    <message>
        <source>Running…</source>
        <translation>执行中…</translation>
    </message>
    <message>
        <source>Done</source>
        <translation>已完成</translation>
    </message>
    <message>
        <source>Failed</source>
        <translation>失败</translation>
    </message>
    <message>
        <source>Skipped</source>
        <translation>已跳过</translation>
    </message>
    <message>
        <source>Proposed</source>
        <translation>已提议</translation>
    </message>
    <message>
        <source>Dismissed</source>
        <translation>已忽略</translation>
    </message>
    <message>
        <source>emergency</source>
        <translation>紧急呼叫</translation>
    </message>
    <message>
        <source>alarm</source>
        <translation>告警</translation>
    </message>
    <message>
        <source>train stopped</source>
        <translation>列车停车</translation>
    </message>
    <message>
        <source>at a station</source>
        <translation>车站</translation>
    </message>
    <message>
        <source>between stations</source>
        <translation>区间</translation>
    </message>
    <message>
        <source>on a train</source>
        <translation>列车上</translation>
    </message>
    <message>
        <source>anywhere</source>
        <translation>任意地点</translation>
    </message>
    <message>
        <source>between %1 and %2</source>
        <translation>%1—%2区间</translation>
    </message>
    <message>
        <source>train %1</source>
        <translation>%1次列车</translation>
    </message>
    <message>
        <source>Alarm %1 from %2, %3</source>
        <translation>%2告警 %1，%3</translation>
    </message>
    <message>
        <source>%1 from %2, %3</source>
        <translation>%2发起%1，%3</translation>
    </message>
    <message>
        <source>Train stood still for %1, %2</source>
        <translation>列车已停车 %1，%2</translation>
    </message>
    <message>
        <source>over %1</source>
        <translation>超过 %1</translation>
    </message>
    <message>
        <source>Matched: %1</source>
        <translation>匹配条件：%1</translation>
    </message>
    <message>
        <source>Call the station</source>
        <translation>呼叫车站</translation>
    </message>
    <message>
        <source>Call %1 (%2)</source>
        <translation>呼叫 %1（%2）</translation>
    </message>
    <message>
        <source>the train&apos;s own</source>
        <translation>本列车</translation>
    </message>
    <message>
        <source>Put %1 cameras on the wall: %2</source>
        <translation>将 %1 路摄像机上墙：%2</translation>
    </message>
    <message>
        <source>every train</source>
        <translation>全部列车</translation>
    </message>
    <message>
        <source>trains %1</source>
        <translation>列车 %1</translation>
    </message>
    <message>
        <source>Passenger screens of %1: “%2”</source>
        <translation>%1 乘客信息屏：“%2”</translation>
    </message>
    <message>
        <source>Unacknowledged after %1: %2</source>
        <translation>%1 内未确认：%2</translation>
    </message>
    <message>
        <source>; broadcast call to %1</source>
        <translation>；向%1发起广播呼叫</translation>
    </message>
    <message>
        <source>all trains</source>
        <translation>全部列车</translation>
    </message>
    <message>
        <source>all stations</source>
        <translation>全部车站</translation>
    </message>
    <message>
        <source>tell %1: “%2”</source>
        <translation>通知%1：“%2”</translation>
    </message>
    <message>
        <source>status %1 to %2</source>
        <translation>向%2发送状态 %1</translation>
    </message>
    <message>
        <source>dismissed</source>
        <translation>已忽略</translation>
    </message>
    <message>
        <source>no train is there now</source>
        <translation>该处当前无列车</translation>
    </message>
    <message>
        <source>the event is not on a train</source>
        <translation>事件不在列车上</translation>
    </message>
    <message>
        <source>no camera there</source>
        <translation>该处无摄像机</translation>
    </message>
    <message>
        <source>not at or near a station</source>
        <translation>不在车站或车站附近</translation>
    </message>
    <message>
        <source>acknowledged</source>
        <translation>已确认</translation>
    </message>
    <message>
        <source>skipped by %1</source>
        <translation>由 %1 跳过</translation>
    </message>
    <message>
        <source>Acknowledged by %1</source>
        <translation>已由 %1 确认</translation>
    </message>
    <message>
        <source>Acknowledged: the train moved on</source>
        <translation>已确认：列车已恢复运行</translation>
    </message>
    <message>
        <source>Acknowledged at the platform by %1</source>
        <translation>已由 %1 在平台确认</translation>
    </message>
    <message>
        <source>Acknowledged: the alarm or alert is over</source>
        <translation>已确认：告警或紧急呼叫已结束</translation>
    </message>
    <message>
        <source>Escalates in %1 unless acknowledged</source>
        <translation>%1 后未确认将升级</translation>
    </message>
    <message>
        <source>Escalated: nobody acknowledged in time</source>
        <translation>已升级：无人及时确认</translation>
    </message>
    <message>
        <source>No escalation</source>
        <translation>无升级</translation>
    </message>
</context>
<context>
    <name>PlansPane</name>
    <message>
        <source>Running plan %1…</source>
        <extracomment>the dock&apos;s extra room while a proposal is open (made when the pane is first brought to the front)</extracomment>
        <translation>正在执行预案 %1…</translation>
    </message>
    <message>
        <source>Running step %1…</source>
        <translation>正在执行第 %1 步…</translation>
    </message>
    <message>
        <source>%1 done, %2 failed: see the steps</source>
        <translation>%1 步完成，%2 步失败：请查看步骤</translation>
    </message>
    <message>
        <source>%1 done</source>
        <translation>%1 步完成</translation>
    </message>
    <message>
        <source>Click again to dismiss</source>
        <translation>再次点击以忽略</translation>
    </message>
    <message>
        <source>Dismiss</source>
        <translation>忽略</translation>
    </message>
    <message>
        <source>Run all</source>
        <translation>全部执行</translation>
    </message>
    <message>
        <source>Run step</source>
        <translation>执行本步</translation>
    </message>
    <message>
        <source>Skip step</source>
        <translation>跳过本步</translation>
    </message>
    <message>
        <source>Emergency plans are off: this desk loaded no plan files.</source>
        <translation>应急预案未启用：本调度台未加载预案文件。</translation>
    </message>
    <message>
        <source>No plan proposed. %1 plans are ready for emergencies, alarms and stopped trains.</source>
        <translation>暂无提议的预案。已就绪 %1 个预案，覆盖紧急呼叫、告警和列车停车。</translation>
    </message>
    <message>
        <source>%1 problems in the plan files (those plans are left out): %2</source>
        <translation>预案文件有 %1 个问题（相关预案未加载）：%2</translation>
    </message>
</context>
<context>
    <name>PrivateCallDialog</name>
    <message>
        <source>Call one terminal privately</source>
        <translation>单独呼叫一个终端</translation>
    </message>
    <message>
        <source>Private call</source>
        <extracomment>terminals a dispatcher can call or regroup (cameras only stream video)</extracomment>
        <translation>单呼</translation>
    </message>
</context>
<context>
    <name>PttPanel</name>
    <message>
        <source>Denied</source>
        <translation>被拒绝</translation>
    </message>
    <message>
        <source>Denied: %1</source>
        <translation>被拒绝：%1</translation>
    </message>
    <message>
        <source>Idle — hold to talk in %1</source>
        <translation>空闲 — 按住即可在 %1 讲话</translation>
    </message>
    <message>
        <source>Override</source>
        <extracomment>how long a denial stays on screen, seconds below this many seconds of talk time left the countdown turns amber refresh of the countdown and the state while PTT is in use, ms the last state the shell&apos;s commands reported, and when</extracomment>
        <translation>强插</translation>
    </message>
    <message>
        <source>Override
(hold)</source>
        <translation>强插
（按住）</translation>
    </message>
    <message>
        <source>PUSH TO TALK
hold · %1</source>
        <translation>按住讲话
按住 · %1</translation>
    </message>
    <message>
        <source>Queued #%1 — wait for the floor</source>
        <translation>排队第 %1 位 — 请等待话权</translation>
    </message>
    <message>
        <source>Queued — wait for the floor</source>
        <translation>排队中 — 请等待话权</translation>
    </message>
    <message>
        <source>Release PTT</source>
        <translation>松开 PTT</translation>
    </message>
    <message>
        <source>Requesting the floor…</source>
        <translation>正在申请话权…</translation>
    </message>
    <message>
        <source>Select a talk group to talk</source>
        <translation>请先选择讲话组</translation>
    </message>
    <message>
        <source>TALKING in %1</source>
        <translation>正在 %1 讲话</translation>
    </message>
    <message>
        <source>Take the floor from whoever holds it, while held</source>
        <translation>按住期间从任何人手中夺取话权</translation>
    </message>
    <message>
        <source>Talk time left %1</source>
        <translation>剩余讲话时间 %1</translation>
    </message>
</context>
<context>
    <name>PushFeedDialog</name>
    <message>
        <source>Push a video feed</source>
        <extracomment>terminals with a screen that can show a pushed feed</extracomment>
        <translation>推送视频</translation>
    </message>
    <message>
        <source>Show the feed of %1 on the screens of:</source>
        <translation>将%1的视频显示在以下屏幕上：</translation>
    </message>
    <message>
        <source>Terminals</source>
        <translation>终端</translation>
    </message>
    <message>
        <source>A group</source>
        <translation>通话组</translation>
    </message>
</context>
<context>
    <name>QualityPane</name>
    <message>
        <source>Calls and video feeds</source>
        <extracomment>the window choices, seconds back from now with no feed chosen, this many are plotted (warned ones first) the feed plots: (key, the `FeedHistory` series, the threshold&apos;s metric or None) the plots and where they sit (row, column), in the order they take their turns the least height of each plot (so that a quiet plot still shows its scale and threshold) the monitor&apos;s version each plot last drew; the plot whose turn it is next (series version, window) each feed curve was last given: unchanged series are not handed over again</extracomment>
        <translation>通话与视频流</translation>
    </message>
    <message>
        <source>Last:</source>
        <translation>最近：</translation>
    </message>
    <message>
        <source>%1 min</source>
        <translation>%1 分钟</translation>
    </message>
    <message>
        <source>Choose feeds in the list to plot them (Ctrl-click for several). Dashed amber lines are the warning thresholds; a warning shows in the alarms pane.</source>
        <translation>在列表中选择要绘制的流（按住 Ctrl 可多选）。琥珀色虚线为告警阈值；告警显示在告警窗格中。</translation>
    </message>
    <message>
        <source>Heartbeat round trip (ms)</source>
        <translation>心跳往返时延 (ms)</translation>
    </message>
    <message>
        <source>Link state</source>
        <translation>链路状态</translation>
    </message>
    <message>
        <source>Bitrate (kbit/s)</source>
        <translation>码率 (kbit/s)</translation>
    </message>
    <message>
        <source>Frame rate (fps)</source>
        <translation>帧率 (帧/秒)</translation>
    </message>
    <message>
        <source>Jitter (ms)</source>
        <translation>抖动 (ms)</translation>
    </message>
    <message>
        <source>Packet loss (%)</source>
        <translation>丢包率 (%)</translation>
    </message>
    <message>
        <source>Floor access time, KPI1 (ms)</source>
        <translation>话权接入时间 KPI1 (ms)</translation>
    </message>
    <message>
        <source>up</source>
        <translation>正常</translation>
    </message>
    <message>
        <source>connecting</source>
        <translation>连接中</translation>
    </message>
    <message>
        <source>down</source>
        <translation>中断</translation>
    </message>
</context>
<context>
    <name>RecordBar</name>
    <message>
        <source>Cannot save: %1</source>
        <translation>无法保存：%1</translation>
    </message>
    <message>
        <source>Follow actions with checks of what the desk must show (an emergency shown, its acknowledgement, a failover)</source>
        <translation>在操作之后加入对调度台显示内容的检查（紧急告警显示、确认、主备切换）</translation>
    </message>
    <message>
        <source>Not recording</source>
        <translation>未录制</translation>
    </message>
    <message>
        <source>Not saved: Save as… writes it later</source>
        <translation>未保存：稍后可用“另存为…”保存</translation>
    </message>
    <message>
        <source>Record</source>
        <translation>录制</translation>
    </message>
    <message>
        <source>Record what you do here, and the dispatcher&apos;s commands, as a scenario file that replays headless</source>
        <translation>把在这里的操作和调度员的命令录制为场景文件，可无界面回放</translation>
    </message>
    <message>
        <source>Recorded %1 steps</source>
        <translation>已录制 %1 步</translation>
    </message>
    <message>
        <source>Save as…</source>
        <translation>另存为…</translation>
    </message>
    <message>
        <source>Save the recording as a scenario</source>
        <translation>将录制保存为场景</translation>
    </message>
    <message>
        <source>Saved %1 (%2 steps): replay it with trunkdesk scenario run</source>
        <translation>已保存 %1（%2 步）：用 trunkdesk scenario run 回放</translation>
    </message>
    <message>
        <source>Saved %1, but the scenario loader finds problems: %2</source>
        <translation>已保存 %1，但场景加载器发现问题：%2</translation>
    </message>
    <message>
        <source>Scenario files (*.yaml *.yml)</source>
        <translation>场景文件 (*.yaml *.yml)</translation>
    </message>
    <message>
        <source>Stop and save…</source>
        <translation>停止并保存…</translation>
    </message>
    <message>
        <source>Stopped: choose where to save it</source>
        <translation>已停止：请选择保存位置</translation>
    </message>
    <message>
        <source>Stopping…</source>
        <extracomment>the colour of the &quot;recording&quot; words (the red of a record lamp) a recording was written: its path, and whether the loader accepts it the last file written (None: nothing saved yet)</extracomment>
        <translation>正在停止…</translation>
    </message>
    <message>
        <source>Write the last recording to another file</source>
        <translation>把上一次录制写入另一个文件</translation>
    </message>
    <message>
        <source>add checks</source>
        <translation>加入检查</translation>
    </message>
    <message>
        <source>● Recording %1 — %2 steps</source>
        <translation>● 录制中 %1 — %2 步</translation>
    </message>
</context>
<context>
    <name>RegroupDialog</name>
    <message>
        <source>Chinese name</source>
        <translation>中文名称</translation>
    </message>
    <message>
        <source>Dynamic regroup</source>
        <translation>动态重组</translation>
    </message>
    <message>
        <source>Gather terminals into a temporary group</source>
        <translation>把终端集中到一个临时组</translation>
    </message>
    <message>
        <source>Incident %1</source>
        <translation>事件 %1</translation>
    </message>
    <message>
        <source>Name</source>
        <translation>名称</translation>
    </message>
</context>
<context>
    <name>ReplayControl</name>
    <message>
        <source>Select a talk group first</source>
        <extracomment>how often the line saying what plays is brought up to date, ms the group and seconds of the replay playing (or last asked for)</extracomment>
        <translation>请先选择讲话组</translation>
    </message>
    <message>
        <source>Replay %1</source>
        <translation>回放 %1</translation>
    </message>
    <message>
        <source>Last %1 seconds</source>
        <translation>最近 %1 秒</translation>
    </message>
    <message>
        <source>Stop the replay</source>
        <translation>停止回放</translation>
    </message>
    <message>
        <source>Looking for the last %1 s of %2…</source>
        <translation>正在查找 %2 最近 %1 秒的录音…</translation>
    </message>
    <message>
        <source>Replay</source>
        <translation>回放</translation>
    </message>
    <message>
        <source>Nothing recorded in %1 yet</source>
        <translation>%1 尚无录音</translation>
    </message>
    <message>
        <source>Replaying %1: %2 s</source>
        <translation>正在回放 %1：%2 秒</translation>
    </message>
    <message>
        <source>(from %1)</source>
        <translation>（自 %1 起）</translation>
    </message>
    <message>
        <source>%1 recordings could not be read</source>
        <translation>%1 段录音无法读取</translation>
    </message>
    <message>
        <source>%1 s left</source>
        <translation>剩余 %1 秒</translation>
    </message>
    <message>
        <source>Play the last seconds of the talk group under the live audio (right-click a group for any other)</source>
        <translation>在实时语音下回放讲话组最近的录音（右键单击其他组可回放该组）</translation>
    </message>
    <message>
        <source>Stop</source>
        <translation>停止</translation>
    </message>
</context>
<context>
    <name>Roles</name>
    <message>
        <source>Train dispatcher</source>
        <translation>行车调度</translation>
    </message>
    <message>
        <source>Environment dispatcher</source>
        <translation>环控调度</translation>
    </message>
    <message>
        <source>Maintenance dispatcher</source>
        <translation>维修调度</translation>
    </message>
    <message>
        <source>Depot dispatcher</source>
        <translation>场段调度</translation>
    </message>
    <message>
        <source>Chief dispatcher</source>
        <translation>值班主任</translation>
    </message>
</context>
<context>
    <name>Shortcuts</name>
    <message>
        <source>Select monitored group {n}</source>
        <extracomment>what it does (source string, context &quot;Shortcuts&quot;) default key in QKeySequence&apos;s portable text (&quot;Ctrl+1&quot;, &quot;F2&quot;, &quot;Space&quot;) press and release both matter (push-to-talk); not a QAction</extracomment>
        <translation>选择监听组 {n}</translation>
    </message>
    <message>
        <source>Push to talk (hold)</source>
        <translation>按住讲话（PTT）</translation>
    </message>
    <message>
        <source>Push to talk, foot pedal (hold)</source>
        <translation>脚踏 PTT（踩住讲话）</translation>
    </message>
    <message>
        <source>Acknowledge emergency</source>
        <translation>确认紧急呼叫</translation>
    </message>
    <message>
        <source>Next alert</source>
        <translation>下一条紧急告警</translation>
    </message>
    <message>
        <source>Acknowledge alarm</source>
        <translation>确认告警</translation>
    </message>
    <message>
        <source>Answer incoming call</source>
        <translation>接听来电</translation>
    </message>
    <message>
        <source>End call</source>
        <translation>结束通话</translation>
    </message>
    <message>
        <source>Search the event log</source>
        <translation>搜索事件日志</translation>
    </message>
    <message>
        <source>Full screen</source>
        <translation>全屏</translation>
    </message>
</context>
<context>
    <name>ShortcutsDialog</name>
    <message>
        <source>Keyboard shortcuts</source>
        <translation>快捷键</translation>
    </message>
    <message>
        <source>Action</source>
        <translation>操作</translation>
    </message>
    <message>
        <source>Key</source>
        <translation>按键</translation>
    </message>
</context>
<context>
    <name>SignInDialog</name>
    <message>
        <source>Enter the address of at least one platform instance.</source>
        <translation>请至少输入一个平台实例的地址。</translation>
    </message>
    <message>
        <source>Enter your user name.</source>
        <translation>请输入用户名。</translation>
    </message>
    <message>
        <source>Sign in — trunkdesk</source>
        <translation>登录 — trunkdesk</translation>
    </message>
    <message>
        <source>Welcome to trunkdesk</source>
        <translation>欢迎使用 trunkdesk</translation>
    </message>
    <message>
        <source>Sign in to the platform</source>
        <translation>登录平台</translation>
    </message>
    <message>
        <source>Enter the addresses of the platform&apos;s two instances (active and standby) and your dispatcher account, or run the demo on this computer.</source>
        <translation>请输入平台两个实例（主用和备用）的地址和您的调度员账号，或在本机运行演示。</translation>
    </message>
    <message>
        <source>Sign in with your dispatcher account.</source>
        <translation>请使用调度员账号登录。</translation>
    </message>
    <message>
        <source>Platform addresses</source>
        <translation>平台地址</translation>
    </message>
    <message>
        <source>User</source>
        <translation>用户名</translation>
    </message>
    <message>
        <source>Password</source>
        <translation>密码</translation>
    </message>
    <message>
        <source>Sign in</source>
        <translation>登录</translation>
    </message>
    <message>
        <source>Run the demo</source>
        <translation>运行演示</translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation>取消</translation>
    </message>
</context>
<context>
    <name>SimTerminalsModel</name>
    <message>
        <source>Acknowledged</source>
        <translation>已确认</translation>
    </message>
    <message>
        <source>Alert</source>
        <translation>紧急告警</translation>
    </message>
    <message>
        <source>Asking</source>
        <translation>申请中</translation>
    </message>
    <message>
        <source>Desk shows</source>
        <translation>调度台显示</translation>
    </message>
    <message>
        <source>Down</source>
        <translation>断开</translation>
    </message>
    <message>
        <source>Floor</source>
        <translation>话权</translation>
    </message>
    <message>
        <source>ID</source>
        <translation>编号</translation>
    </message>
    <message>
        <source>Idle</source>
        <translation>空闲</translation>
    </message>
    <message>
        <source>Kind</source>
        <translation>类型</translation>
    </message>
    <message>
        <source>Link</source>
        <translation>链路</translation>
    </message>
    <message>
        <source>Queued</source>
        <translation>排队</translation>
    </message>
    <message>
        <source>Raised</source>
        <translation>已发起</translation>
    </message>
    <message>
        <source>Releasing</source>
        <translation>释放中</translation>
    </message>
    <message>
        <source>Talking</source>
        <translation>讲话中</translation>
    </message>
    <message>
        <source>The simulated terminal&apos;s own session with the platform</source>
        <translation>模拟终端自身与平台的会话</translation>
    </message>
    <message>
        <source>The terminal&apos;s floor in its last call (its PTT)</source>
        <translation>终端在最近一次呼叫中的话权（其 PTT）</translation>
    </message>
    <message>
        <source>The terminal&apos;s own emergency alert</source>
        <translation>终端自身的紧急告警</translation>
    </message>
    <message>
        <source>The terminal&apos;s presence as the desk&apos;s world shows it</source>
        <translation>调度台显示的终端在线状态</translation>
    </message>
    <message>
        <source>Up</source>
        <translation>正常</translation>
    </message>
</context>
<context>
    <name>SoundUi</name>
    <message>
        <source>Audio devices…</source>
        <translation>音频设备…</translation>
    </message>
</context>
<context>
    <name>StationsModel</name>
    <message>
        <source>%1 call(s)</source>
        <translation>%1 路通话</translation>
    </message>
    <message>
        <source>%1 of %2 radios up</source>
        <extracomment>the calls it is in: (call id, kind, group or None, other party or None, it holds the floor) media sessions it is the source of</extracomment>
        <translation>固定台在线 %1/%2</translation>
    </message>
    <message>
        <source>%1 video</source>
        <translation>%1 路视频</translation>
    </message>
    <message>
        <source>(talking)</source>
        <translation>（讲话中）</translation>
    </message>
    <message>
        <source>Broadcast in %1</source>
        <translation>%1 广播</translation>
    </message>
    <message>
        <source>Calls and video</source>
        <translation>通话与视频</translation>
    </message>
    <message>
        <source>Emergency call in %1</source>
        <translation>%1 紧急呼叫</translation>
    </message>
    <message>
        <source>ID</source>
        <translation>编号</translation>
    </message>
    <message>
        <source>Private call with %1</source>
        <translation>与 %1 单呼</translation>
    </message>
    <message>
        <source>State</source>
        <translation>状态</translation>
    </message>
    <message>
        <source>Station / terminal</source>
        <translation>车站/终端</translation>
    </message>
    <message>
        <source>Video %1</source>
        <translation>视频 %1</translation>
    </message>
    <message>
        <source>this desk</source>
        <translation>本调度台</translation>
    </message>
</context>
<context>
    <name>StationsPane</name>
    <message>
        <source>Call</source>
        <translation>呼叫</translation>
    </message>
    <message>
        <source>Call %1</source>
        <translation>呼叫 %1</translation>
    </message>
    <message>
        <source>Call %1 (full duplex)</source>
        <translation>呼叫 %1（全双工）</translation>
    </message>
    <message>
        <source>Call %1 to %2 set up</source>
        <translation>已向 %2 发起呼叫 %1</translation>
    </message>
    <message>
        <source>Call it full duplex (both talk at once, like a telephone)</source>
        <translation>全双工呼叫（双方可同时讲话，如同电话）</translation>
    </message>
    <message>
        <source>Call the chosen radio, or the station&apos;s first reachable radio</source>
        <translation>呼叫所选固定台，或该站第一台可达的固定台</translation>
    </message>
    <message>
        <source>Calling %1…</source>
        <translation>正在呼叫 %1…</translation>
    </message>
    <message>
        <source>Filter: station, name, radio or camera id…</source>
        <translation>筛选：车站、名称、固定台或摄像机编号…</translation>
    </message>
    <message>
        <source>Full duplex</source>
        <translation>全双工</translation>
    </message>
    <message>
        <source>Open the chosen camera, or the station&apos;s first camera</source>
        <translation>打开所选摄像机，或该站第一台摄像机</translation>
    </message>
    <message>
        <source>Opening video of %1…</source>
        <translation>正在打开 %1 的视频…</translation>
    </message>
    <message>
        <source>Video</source>
        <translation>视频</translation>
    </message>
    <message>
        <source>Video %1 of %2 opened</source>
        <translation>已打开 %2 的视频 %1</translation>
    </message>
    <message>
        <source>Video: %1</source>
        <translation>视频：%1</translation>
    </message>
</context>
<context>
    <name>StepsModel</name>
    <message>
        <source>Step</source>
        <extracomment>earlier proposals listed above the plan shown (more scroll) step state → (row background, text colour)</extracomment>
        <translation>步骤</translation>
    </message>
    <message>
        <source>State</source>
        <translation>状态</translation>
    </message>
</context>
<context>
    <name>TerminalLook</name>
    <message>
        <source>%1 m</source>
        <translation>%1 米</translation>
    </message>
    <message>
        <source>Body-worn recorder</source>
        <translation>执法记录仪</translation>
    </message>
    <message>
        <source>Busy</source>
        <translation>忙</translation>
    </message>
    <message>
        <source>Camera</source>
        <translation>摄像机</translation>
    </message>
    <message>
        <source>Disabled</source>
        <translation>已禁用</translation>
    </message>
    <message>
        <source>Dispatch console</source>
        <translation>调度台</translation>
    </message>
    <message>
        <source>Down</source>
        <translation>下行</translation>
    </message>
    <message>
        <source>Emergency</source>
        <translation>紧急</translation>
    </message>
    <message>
        <source>Fixed radio</source>
        <extracomment>presence in the order a dispatcher scans for trouble (filter combos list it so) text colour of a presence on the dark background (tables, trees) fill of a marker (line diagram chips): saturated, with white text readable on every one background of a table row whose terminal is in emergency</extracomment>
        <translation>固定台</translation>
    </message>
    <message>
        <source>Gateway</source>
        <translation>网关</translation>
    </message>
    <message>
        <source>Handset</source>
        <translation>手持台</translation>
    </message>
    <message>
        <source>Offline</source>
        <translation>离线</translation>
    </message>
    <message>
        <source>Registered</source>
        <translation>已注册</translation>
    </message>
    <message>
        <source>Train radio</source>
        <translation>车载台</translation>
    </message>
    <message>
        <source>Unreachable</source>
        <translation>不可达</translation>
    </message>
    <message>
        <source>Up</source>
        <translation>上行</translation>
    </message>
</context>
<context>
    <name>TestModePane</name>
    <message>
        <source>%1 registered</source>
        <translation>%1 已注册</translation>
    </message>
    <message>
        <source>%1 registering</source>
        <translation>%1 个正在注册</translation>
    </message>
    <message>
        <source>%1 simulated</source>
        <extracomment>how often the simulated terminals&apos; own state and the pair&apos;s processes are re-read, ms the tabs under the list</extracomment>
        <translation>已模拟 %1 个</translation>
    </message>
    <message>
        <source>%1 stopped</source>
        <translation>%1 已停止</translation>
    </message>
    <message>
        <source>%1 terminals</source>
        <translation>%1 个终端</translation>
    </message>
    <message>
        <source>Add</source>
        <translation>添加</translation>
    </message>
    <message>
        <source>Add all</source>
        <translation>全部添加</translation>
    </message>
    <message>
        <source>Choose a terminal of the line to add</source>
        <translation>请选择要添加的线路终端</translation>
    </message>
    <message>
        <source>Drive %1</source>
        <translation>操作 %1</translation>
    </message>
    <message>
        <source>Drive a terminal</source>
        <translation>操作终端</translation>
    </message>
    <message>
        <source>Filter: id, kind, state</source>
        <translation>筛选：编号、类型、状态</translation>
    </message>
    <message>
        <source>Platform faults</source>
        <translation>平台故障</translation>
    </message>
    <message>
        <source>Register every terminal of the line not simulated yet</source>
        <translation>注册线路上所有尚未模拟的终端</translation>
    </message>
    <message>
        <source>Register this terminal of the line as a simulated one</source>
        <translation>把这个线路终端注册为模拟终端</translation>
    </message>
    <message>
        <source>Registering %1…</source>
        <translation>正在注册 %1…</translation>
    </message>
    <message>
        <source>Select the terminals to stop in the list</source>
        <translation>请在列表中选择要停止的终端</translation>
    </message>
    <message>
        <source>Simulated terminals</source>
        <translation>模拟终端</translation>
    </message>
    <message>
        <source>Stop</source>
        <translation>停止</translation>
    </message>
    <message>
        <source>Stopping %1…</source>
        <translation>正在停止 %1…</translation>
    </message>
    <message>
        <source>The selected terminals say goodbye and stop</source>
        <translation>所选终端注销并停止</translation>
    </message>
    <message>
        <source>a terminal of the line</source>
        <translation>线路上的终端</translation>
    </message>
</context>
<context>
    <name>TrainGraphPane</name>
    <message>
        <source>Window:</source>
        <extracomment>every train&apos;s line is redrawn once a second (trains report about once a second), in this many slices the window choices: seconds either side of now a click this close (pixels) to a train&apos;s line picks it height of a train&apos;s label (pixels): labels closer than this are moved apart the dispatcher clicked a train&apos;s line (its radio id) one live line and one head label per train radio where each train&apos;s line ends (its label goes there) the tracks&apos; version each slice of trains was last drawn at</extracomment>
        <translation>时间窗：</translation>
    </message>
    <message>
        <source>±%1 min</source>
        <translation>±%1 分钟</translation>
    </message>
    <message>
        <source>Planned</source>
        <translation>计划</translation>
    </message>
    <message>
        <source>On time</source>
        <translation>正点</translation>
    </message>
    <message>
        <source>Late &gt; %1 min</source>
        <translation>晚点 &gt; %1 分钟</translation>
    </message>
    <message>
        <source>No timetable</source>
        <translation>无时刻表</translation>
    </message>
    <message>
        <source>Now</source>
        <translation>当前</translation>
    </message>
</context>
<context>
    <name>TrainsModel</name>
    <message>
        <source>Direction</source>
        <translation>方向</translation>
    </message>
    <message>
        <source>EMERGENCY</source>
        <extracomment>where a train with no position sorts: after every train on the line as the radio reported it where the diagram draws it: the reported chainage, else its station&apos;s, else midway between two</extracomment>
        <translation>紧急</translation>
    </message>
    <message>
        <source>Emergency</source>
        <translation>紧急状态</translation>
    </message>
    <message>
        <source>Position</source>
        <translation>位置</translation>
    </message>
    <message>
        <source>Radio</source>
        <translation>车载台</translation>
    </message>
    <message>
        <source>Radio state</source>
        <translation>电台状态</translation>
    </message>
    <message>
        <source>Train</source>
        <translation>车次</translation>
    </message>
    <message>
        <source>Train %1 · radio %2</source>
        <translation>车次 %1 · 车载台 %2</translation>
    </message>
</context>
<context>
    <name>VehiclesPane</name>
    <message>
        <source>Call</source>
        <translation>呼叫</translation>
    </message>
    <message>
        <source>Call %1 to train %2 set up</source>
        <translation>已向 %2 次列车发起呼叫 %1</translation>
    </message>
    <message>
        <source>Call (full duplex)</source>
        <translation>呼叫（全双工）</translation>
    </message>
    <message>
        <source>Call the chosen train&apos;s cab radio (double-click a train does the same)</source>
        <translation>呼叫所选列车的车载台（双击列车效果相同）</translation>
    </message>
    <message>
        <source>Calling train %1…</source>
        <extracomment>what the legend explains, in this order below this height (px: a header and three rows) the table folds away at start the train the desk-wide selection is at, as far as this pane said or heard (not said twice) following a selection made elsewhere: not to be said back the dispatcher dragged the splitter: their split stays; until then it follows the pane&apos;s height</extracomment>
        <translation>正在呼叫 %1 次列车…</translation>
    </message>
    <message>
        <source>Filter: number, radio, station…</source>
        <translation>筛选：车次、车载台、车站…</translation>
    </message>
    <message>
        <source>Message shown on %1 train(s)</source>
        <translation>消息已在 %1 列列车上显示</translation>
    </message>
    <message>
        <source>Opening video of train %1…</source>
        <translation>正在打开 %1 次列车的视频…</translation>
    </message>
    <message>
        <source>PIS message…</source>
        <translation>PIS 消息…</translation>
    </message>
    <message>
        <source>PIS to all trains…</source>
        <translation>全线 PIS 消息…</translation>
    </message>
    <message>
        <source>Tunnel</source>
        <translation>隧道</translation>
    </message>
    <message>
        <source>Sending the message to the screens of %1…</source>
        <translation>正在向 %1 的乘客信息屏发送消息…</translation>
    </message>
    <message>
        <source>Train %1</source>
        <translation>%1 次列车</translation>
    </message>
    <message>
        <source>Train radio&apos;s camera</source>
        <translation>车载台摄像头</translation>
    </message>
    <message>
        <source>Video</source>
        <translation>视频</translation>
    </message>
    <message>
        <source>Video %1 of train %2 opened</source>
        <translation>已打开 %2 次列车的视频 %1</translation>
    </message>
    <message>
        <source>every train</source>
        <translation>全部列车</translation>
    </message>
</context>
<context>
    <name>VideoTileView</name>
    <message>
        <source>Hidden (not receiving)</source>
        <extracomment>height of the label bars at the top and bottom of a tile, px seconds since the last picture (None before the first) why the feed failed (state ``failed``) the tile&apos;s context menu was asked for, at this global position the wall&apos;s sequence number of the picture shown (pass back as ``since``), and its size as received the `TileFrame` shown (a private copy: its luma carries the sender&apos;s stamp in tests)</extracomment>
        <translation>已隐藏（不接收）</translation>
    </message>
    <message>
        <source>No video: %1</source>
        <translation>无视频：%1</translation>
    </message>
    <message>
        <source>HD</source>
        <translation>高清</translation>
    </message>
    <message>
        <source>Thumbnail</source>
        <translation>缩略图</translation>
    </message>
    <message>
        <source>reconnecting after the platform switch…</source>
        <translation>平台已切换，正在重新连接…</translation>
    </message>
    <message>
        <source>%1 fps</source>
        <translation>%1 帧/秒</translation>
    </message>
    <message>
        <source>%1 s ago</source>
        <translation>%1 秒前</translation>
    </message>
    <message>
        <source>waiting for pictures</source>
        <translation>等待画面</translation>
    </message>
    <message>
        <source>no media within %1 s</source>
        <translation>%1 秒内无媒体</translation>
    </message>
    <message>
        <source>not set up within %1 s</source>
        <translation>%1 秒内未建立</translation>
    </message>
    <message>
        <source>media failed</source>
        <translation>媒体失败</translation>
    </message>
    <message>
        <source>FROZEN</source>
        <translation>画面冻结</translation>
    </message>
</context>
<context>
    <name>VideoWallPane</name>
    <message>
        <source>Opening video of %1…</source>
        <extracomment>one painted view per wall tile, made once (tiles are few and fixed)</extracomment>
        <translation>正在打开 %1 的视频…</translation>
    </message>
    <message>
        <source>Back to the grid…</source>
        <translation>正在返回网格…</translation>
    </message>
    <message>
        <source>Focusing %1…</source>
        <translation>正在聚焦 %1…</translation>
    </message>
    <message>
        <source>Showing %1…</source>
        <translation>正在显示 %1…</translation>
    </message>
    <message>
        <source>Hiding %1…</source>
        <translation>正在隐藏 %1…</translation>
    </message>
    <message>
        <source>Closing %1…</source>
        <translation>正在关闭 %1…</translation>
    </message>
    <message>
        <source>Pushing %1 to %2…</source>
        <translation>正在将%1推送到%2…</translation>
    </message>
    <message>
        <source>%1 pushed to %2 screen(s)</source>
        <translation>%1已推送到 %2 个屏幕</translation>
    </message>
    <message>
        <source>Try again</source>
        <translation>重试</translation>
    </message>
    <message>
        <source>Back to the grid</source>
        <translation>返回网格</translation>
    </message>
    <message>
        <source>Focus (HD)</source>
        <translation>聚焦（高清）</translation>
    </message>
    <message>
        <source>Show</source>
        <translation>显示</translation>
    </message>
    <message>
        <source>Hide</source>
        <translation>隐藏</translation>
    </message>
    <message>
        <source>Push to…</source>
        <translation>推送到…</translation>
    </message>
    <message>
        <source>Close</source>
        <translation>关闭</translation>
    </message>
    <message>
        <source>Add feed…</source>
        <translation>添加视频源…</translation>
    </message>
    <message>
        <source>Pull video from a camera, a train, a handset or a recorder</source>
        <translation>从摄像机、列车、手持台或执法记录仪调取视频</translation>
    </message>
    <message>
        <source>Show the chosen tile alone, in HD (or double-click it)</source>
        <translation>单独以高清显示所选画面（或双击画面）</translation>
    </message>
    <message>
        <source>Stop the chosen tile&apos;s stream but keep its place</source>
        <translation>停止所选画面的视频流，但保留其位置</translation>
    </message>
    <message>
        <source>Show the chosen tile&apos;s feed on the screens of terminals or a group</source>
        <translation>将所选画面推送到终端或通话组的屏幕上</translation>
    </message>
    <message>
        <source>End the chosen tile&apos;s feed</source>
        <translation>结束所选画面的视频源</translation>
    </message>
    <message>
        <source>No video on the wall. Add a feed, or use Video on a station, train or handset.</source>
        <translation>视频墙上没有视频。请添加视频源，或在车站、列车或手持台上使用“视频”。</translation>
    </message>
    <message>
        <source>This desk receives no video (it was started without media).</source>
        <translation>本调度台不接收视频（启动时未启用媒体）。</translation>
    </message>
</context>
<context>
    <name>Vocabulary</name>
    <message>
        <source>Acknowledged</source>
        <translation>已确认</translation>
    </message>
    <message>
        <source>Body-worn recorder</source>
        <translation>执法记录仪</translation>
    </message>
    <message>
        <source>Broadcast</source>
        <translation>广播呼叫</translation>
    </message>
    <message>
        <source>Camera</source>
        <translation>摄像机</translation>
    </message>
    <message>
        <source>Cancelled</source>
        <translation>已取消</translation>
    </message>
    <message>
        <source>Cleared</source>
        <translation>已清除</translation>
    </message>
    <message>
        <source>Critical</source>
        <translation>紧急</translation>
    </message>
    <message>
        <source>Depot</source>
        <translation>场段</translation>
    </message>
    <message>
        <source>Dispatch console</source>
        <translation>调度台</translation>
    </message>
    <message>
        <source>Emergency</source>
        <translation>紧急呼叫</translation>
    </message>
    <message>
        <source>Emergency call</source>
        <translation>紧急呼叫</translation>
    </message>
    <message>
        <source>Environment and equipment control</source>
        <translation>环控</translation>
    </message>
    <message>
        <source>Equipment</source>
        <translation>设备</translation>
    </message>
    <message>
        <source>Full duplex (like a phone)</source>
        <translation>全双工（像电话一样）</translation>
    </message>
    <message>
        <source>Gateway</source>
        <translation>网关</translation>
    </message>
    <message>
        <source>Group call</source>
        <translation>组呼</translation>
    </message>
    <message>
        <source>Half duplex (PTT)</source>
        <translation>半双工（按键讲话）</translation>
    </message>
    <message>
        <source>Handset</source>
        <translation>手持台</translation>
    </message>
    <message>
        <source>Imminent peril</source>
        <translation>紧急危险</translation>
    </message>
    <message>
        <source>Imminent peril call</source>
        <translation>紧急危险呼叫</translation>
    </message>
    <message>
        <source>Info</source>
        <translation>提示</translation>
    </message>
    <message>
        <source>Maintenance</source>
        <translation>维修</translation>
    </message>
    <message>
        <source>Major</source>
        <translation>重要</translation>
    </message>
    <message>
        <source>Minor</source>
        <translation>次要</translation>
    </message>
    <message>
        <source>Private call</source>
        <translation>单呼</translation>
    </message>
    <message>
        <source>Raised</source>
        <translation>未处理</translation>
    </message>
    <message>
        <source>Sensor</source>
        <translation>传感器</translation>
    </message>
    <message>
        <source>Station radio</source>
        <translation>固定台</translation>
    </message>
    <message>
        <source>Terminal</source>
        <translation>终端</translation>
    </message>
    <message>
        <source>Train dispatch</source>
        <translation>行车调度</translation>
    </message>
    <message>
        <source>Train radio</source>
        <translation>车载台</translation>
    </message>
    <message>
        <source>Unacknowledged</source>
        <translation>未确认</translation>
    </message>
    <message>
        <source>Video analytics</source>
        <translation>视频分析</translation>
    </message>
    <message>
        <source>Whole line</source>
        <translation>全线</translation>
    </message>
    <message>
        <source>at %1</source>
        <translation>位于 %1</translation>
    </message>
    <message>
        <source>between %1 and %2</source>
        <translation>%1 至 %2 区间</translation>
    </message>
    <message>
        <source>dispatcher</source>
        <translation>调度员</translation>
    </message>
    <message>
        <source>emergency</source>
        <translation>紧急</translation>
    </message>
    <message>
        <source>force-released</source>
        <translation>被强拆</translation>
    </message>
    <message>
        <source>hang time over</source>
        <translation>挂起超时</translation>
    </message>
    <message>
        <source>imminent peril</source>
        <translation>紧急危险</translation>
    </message>
    <message>
        <source>in %1</source>
        <translation>在 %1</translation>
    </message>
    <message>
        <source>no answer</source>
        <translation>无人接听</translation>
    </message>
    <message>
        <source>no longer listed by the platform</source>
        <translation>平台已不再列出</translation>
    </message>
    <message>
        <source>normal</source>
        <translation>普通</translation>
    </message>
    <message>
        <source>pre-empted</source>
        <translation>被抢占</translation>
    </message>
    <message>
        <source>rejected</source>
        <translation>被拒接</translation>
    </message>
    <message>
        <source>released</source>
        <translation>已释放</translation>
    </message>
    <message>
        <source>train %1</source>
        <translation>列车 %1</translation>
    </message>
    <message>
        <source>you (%1)</source>
        <translation>您（%1）</translation>
    </message>
    <message>
        <source>full duplex</source>
        <translation>全双工</translation>
    </message>
    <message>
        <source>half duplex</source>
        <extracomment>the same, short (in a list row)</extracomment>
        <translation>半双工</translation>
    </message>
</context>
</TS>
