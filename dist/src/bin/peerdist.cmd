@echo off
rem peerdist launcher for Windows (see docs/INSTALL.md). JAVA_HOME picks the JVM, else java on PATH.
rem `peerdist run` gets the daemon's memory budget (docs/INSTALL.md "Memory"); PEERDIST_JAVA_OPTS
rem comes last and overrides it.
setlocal
set "PEERDIST_HOME=%~dp0.."
set "JAVA_EXE=java"
if defined JAVA_HOME if exist "%JAVA_HOME%\bin\java.exe" set "JAVA_EXE=%JAVA_HOME%\bin\java.exe"
rem Every command: the JDK's AES-CBC code is compiled early (its AES-NI code exists only once compiled).
set "PEERDIST_JIT_OPTS=-XX:CompileCommand=quiet -XX:CompileCommand=CompileThresholdScaling,com.sun.crypto.provider.CipherBlockChaining::*,0.01 -XX:CompileCommand=CompileThresholdScaling,com.sun.crypto.provider.AESCrypt::impl*,0.01"
set "PEERDIST_DAEMON_OPTS="
if /I "%~1"=="run" set "PEERDIST_DAEMON_OPTS=-XX:+UseSerialGC -Xms20m -XX:NewSize=8m -XX:MaxNewSize=24m -XX:NewRatio=2 -Xmx96m -XX:MinHeapFreeRatio=65 -XX:-ShrinkHeapInSteps -Xss512k -XX:MaxDirectMemorySize=64m -XX:ReservedCodeCacheSize=48m -XX:MaxMetaspaceSize=96m -XX:CompileThresholdScaling=3 -Dio.netty.jfr.enabled=false -XX:CompileCommand=MaxNodeLimit,io.netty.*::*,4000 -XX:CompileCommand=MaxNodeLimit,dev.peerdist.*::*,4000 -XX:CompileCommand=MaxNodeLimit,java.util.*::*,4000 -XX:CompileCommand=MaxNodeLimit,sun.nio.*::*,4000 -XX:CompileCommand=MaxNodeLimit,org.rocksdb.*::*,4000 -XX:CompileCommand=CompileThresholdScaling,dev.peerdist.*::*,0.33 -XX:CompileCommand=CompileThresholdScaling,io.netty.*::*,0.33"
"%JAVA_EXE%" %PEERDIST_JIT_OPTS% %PEERDIST_DAEMON_OPTS% %PEERDIST_JAVA_OPTS% -cp "%PEERDIST_HOME%\lib\*" dev.peerdist.node.cli.Main %*
exit /b %ERRORLEVEL%
