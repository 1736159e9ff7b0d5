package dev.peerdist.node.cli;

import picocli.CommandLine.IVersionProvider;

/** Prints the implementation version from the jar manifest, or "development build". */
public final class VersionProvider implements IVersionProvider {
  @Override
  public String[] getVersion() {
    String v = Main.class.getPackage().getImplementationVersion();
    return new String[] {"peerdist " + (v == null ? "(development build)" : v),
        "Java " + System.getProperty("java.version") + " on " + System.getProperty("os.name")};
  }
}
