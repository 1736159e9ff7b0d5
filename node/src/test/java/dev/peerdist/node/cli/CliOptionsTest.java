package dev.peerdist.node.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.peerdist.node.ConfigKey;
import dev.peerdist.node.NodeConfig;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

/**
 * The command line against the key table: the node's flags are generated from {@link ConfigKey}
 * (help included), {@code -v} is one mixin, and a flag elsewhere that shares a key's name either
 * means the same thing with the same default or is listed here with what it means instead.
 */
class CliOptionsTest {
  /** Flags named like a key that mean something else, and why. */
  private static final Map<String, String> OWN_MEANING = Map.of(
      "publish --bind", "the publisher's listening address (default 0.0.0.0), not the node's PCCRR bind",
      "publish --token", "the token the publisher requires, not the one the node sends",
      "probe --interface", "interfaces to probe on, repeatable; the node's key names one");

  private static List<CommandLine> all(CommandLine cl) {
    List<CommandLine> out = new ArrayList<>();
    out.add(cl);
    cl.getSubcommands().values().forEach(sub -> out.addAll(all(sub)));
    return out;
  }

  @Test
  void runAndGetHaveOneFlagPerKeyWithTheKeysHelp() {
    CommandLine main = Main.commandLine();
    for (String name : List.of("run", "get")) {
      CommandSpec spec = main.getSubcommands().get(name).getCommandSpec();
      for (ConfigKey k : ConfigKey.values()) {
        OptionSpec o = spec.findOption(k.flag());
        assertNotNull(o, name + " lacks " + k.flag());
        assertEquals(k.paramLabel(), o.paramLabel(), k.flag());
        String help = String.join(" ", o.description());
        assertTrue(help.startsWith(k.description()), help);
        assertTrue(help.contains("env " + k.env()), help);
        assertTrue(help.contains("Default: " + (k.defaultValue().isEmpty() ? "none" : k.defaultValue())), help);
      }
    }
    StringWriter help = new StringWriter();
    main.getSubcommands().get("run").usage(new PrintWriter(help));
    assertTrue(help.toString().contains("--cache-size=SIZE"), help.toString());
    assertTrue(help.toString().contains("PEERDIST_CACHE_SIZE"), help.toString());
  }

  @Test
  void theDaemonsLeanRootParsesAndPrintsRunAsTheFullCommandLine() {
    CommandLine lean = Main.commandLine(new String[] {"run", "--cache-size", "5G"});
    assertEquals(List.of("run"), List.copyOf(lean.getSubcommands().keySet()), "a daemon builds run's model only");
    CommandLine leanRun = lean.getSubcommands().get("run");
    CommandLine fullRun = Main.commandLine().getSubcommands().get("run");
    assertEquals("peerdist run", leanRun.getCommandSpec().qualifiedName());
    assertEquals(fullRun.getUsageMessage(CommandLine.Help.Ansi.OFF), leanRun.getUsageMessage(CommandLine.Help.Ansi.OFF));
    assertEquals(List.of(Main.commandLine().getCommandSpec().version()), List.of(lean.getCommandSpec().version()));
    CommandLine.ParseResult r = lean.parseArgs("run", "--cache-size", "5G");
    RunCommand run = (RunCommand) r.subcommand().commandSpec().userObject();
    assertEquals(5L << 30, NodeConfig.load(null, run.options.flags(), Map.of()).cacheSize());
    assertTrue(Main.commandLine(new String[] {"get"}).getSubcommands().containsKey("get"), "other commands: the full line");
    assertTrue(Main.commandLine(new String[0]).getSubcommands().containsKey("run"));
  }

  @Test
  void generatedFlagsReachTheConfiguration() {
    CommandLine main = Main.commandLine();
    CommandLine.ParseResult r = main.parseArgs("run", "--cache-size", "5G", "--peer", "10.0.0.1:80", "--peer=10.0.0.2:80",
        "--discovery-wait=1s");
    RunCommand run = (RunCommand) r.subcommand().commandSpec().userObject();
    NodeConfig c = NodeConfig.load(null, run.options.flags(), Map.of());
    assertEquals(5L << 30, c.cacheSize());
    assertEquals("flag --cache-size", c.source(ConfigKey.CACHE_SIZE));
    assertEquals(List.of("10.0.0.1:80", "10.0.0.2:80"), c.peers());
    assertEquals(java.time.Duration.ofSeconds(1), c.discoveryWait());
    assertEquals("default", c.source(ConfigKey.MAX_UPLOADS));
  }

  @Test
  void verboseIsOneMixinEverywhere() {
    int declaring = 0;
    for (CommandLine cl : all(Main.commandLine())) {
      CommandSpec spec = cl.getCommandSpec();
      OptionSpec v = spec.findOption("--verbose");
      if (v == null) {
        continue;
      }
      declaring++;
      assertEquals(List.of("-v", "--verbose"), List.of(v.names()), spec.qualifiedName());
      boolean viaMixin = spec.mixins().values().stream().anyMatch(m -> m.findOption("--verbose") != null);
      assertTrue(viaMixin, spec.qualifiedName() + " declares --verbose itself instead of mixing VerboseOption in");
    }
    assertTrue(declaring >= 7, "run, get, status, demo, publish, probe and the cache commands: " + declaring);
  }

  @Test
  void aFlagNamedLikeAKeyMeansTheKeyOrSaysWhatItMeans() {
    for (CommandLine cl : all(Main.commandLine())) {
      CommandSpec spec = cl.getCommandSpec();
      if (spec.mixins().values().stream().anyMatch(m -> m.userObject() instanceof NodeOptions)) {
        continue; // generated from the table
      }
      for (ConfigKey k : ConfigKey.values()) {
        OptionSpec o = spec.findOption(k.flag());
        if (o == null) {
          continue;
        }
        String where = spec.name() + " " + k.flag();
        if (OWN_MEANING.containsKey(where) || o.required()) {
          continue; // a required flag has no default that could disagree
        }
        Object initial = o.defaultValue() != null ? o.defaultValue() : o.initialValue();
        assertEquals(k.defaultValue(), initial == null ? "" : initial.toString(),
            where + " shares the key's name, so it must share its default (or be listed in OWN_MEANING)");
      }
    }
  }
}
