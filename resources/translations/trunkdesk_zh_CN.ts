<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="zh_CN" sourcelanguage="en">
    <context>
        <name>Desk</name>
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
            <translation>%1 失败：%2</translation>
        </message>
    </context>
    <context>
        <name>DeskStatusBar</name>
        <message>
            <source>Platform problem: %1</source>
            <translation>平台异常：%1</translation>
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
            <source>this desk's commands go to this instance</source>
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
        <name>Panes</name>
        <message>
            <source>Trains and line</source>
            <translation>列车与线路</translation>
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
        <name>PlaceholderPane</name>
        <message>
            <source>This pane is not available in this build.</source>
            <translation>此版本未包含该面板。</translation>
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
            <source>Enter the addresses of the platform's two instances (active and standby) and your dispatcher account, or run the demo on this computer.</source>
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
</TS>
