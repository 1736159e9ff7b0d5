package dev.peerdist.node.cli;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * SIGHUP → reload, as {@code systemctl reload} ({@code ExecReload=kill -HUP $MAINPID}) expects.
 * Without a handler the JVM would treat SIGHUP as a request to exit. Uses the JDK's
 * {@code sun.misc.Signal} (module jdk.unsupported), looked up reflectively so that a JVM without
 * it, or a platform without SIGHUP (Windows), simply has no reload signal.
 */
final class Reload {
  private static final Logger LOG = LoggerFactory.getLogger(Reload.class);

  private Reload() {}

  /** Runs {@code action} on every SIGHUP (on the JVM's signal thread, one at a time). */
  static void onHangup(Runnable action) {
    try {
      Class<?> signal = Class.forName("sun.misc.Signal");
      Class<?> handler = Class.forName("sun.misc.SignalHandler");
      Object hup = signal.getConstructor(String.class).newInstance("HUP");
      Object proxy = java.lang.reflect.Proxy.newProxyInstance(Reload.class.getClassLoader(), new Class<?>[] {handler},
          (p, method, args) -> {
            if (method.getName().equals("handle")) {
              try {
                action.run();
              } catch (RuntimeException e) {
                LOG.error("reload failed", e);
              }
              return null;
            }
            // Object's methods on the proxy (toString, hashCode, equals).
            return switch (method.getName()) {
              case "hashCode" -> System.identityHashCode(p);
              case "equals" -> p == args[0];
              default -> "SIGHUP reload handler";
            };
          });
      signal.getMethod("handle", signal, handler).invoke(null, hup, proxy);
    } catch (ReflectiveOperationException | IllegalArgumentException | LinkageError e) {
      LOG.debug("no SIGHUP reload on this platform: {}", e.toString());
    }
  }
}
