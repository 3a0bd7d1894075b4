"""The one compiled part of trunkdesk: media/_rtpcore.c (the video receive path's per-packet work).

Optional: without a C compiler the build goes on without it, and media/fast_video.py takes the same path in Python.
Everything else about the package is in pyproject.toml.
"""

from setuptools import Extension, setup

setup(ext_modules=[Extension("media._rtpcore", ["media/_rtpcore.c"], optional=True,
                             extra_compile_args=["-O2", "-std=gnu11", "-Wall", "-Wextra", "-Wno-unused-parameter",
                                                 "-Wno-missing-field-initializers", "-Wno-cast-function-type"])])
