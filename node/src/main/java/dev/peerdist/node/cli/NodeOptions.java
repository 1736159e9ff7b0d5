package dev.peerdist.node.cli;

import dev.peerdist.node.ConfigKey;
import dev.peerdist.node.NodeConfig;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.IModelTransformer;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.IGetter;
import picocli.CommandLine.Model.ISetter;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Option;

/**
 * The node's options as flags, generated from the key table: one {@code --key} per {@link
 * ConfigKey}, with the key's description, default and environment variable as its help. Values
 * are kept as raw text so that {@link NodeConfig#load} parses and checks every layer (flag,
 * environment, file) the same way and its errors name the flag. Mixed into {@code run} and {@code
 * get}; a key added to {@link ConfigKey} is a flag of both without a line here.
 */
@Command(modelTransformer = NodeOptions.Generator.class)
public final class NodeOptions {
  @Option(names = "--config", paramLabel = "FILE", description = "Config file (key = value lines; see docs/CONFIGURATION.md).")
  Path config;

  private final Map<ConfigKey, List<String>> given = new EnumMap<>(ConfigKey.class);

  /** The flags given, by key. */
  public Map<ConfigKey, List<String>> flags() {
    Map<ConfigKey, List<String>> m = new EnumMap<>(ConfigKey.class);
    given.forEach((k, v) -> m.put(k, new ArrayList<>(v)));
    return m;
  }

  /** Loads the configuration: these flags > {@code PEERDIST_*} > config file > defaults. */
  public NodeConfig load() {
    return NodeConfig.load(config, flags(), System.getenv());
  }

  /** The help line of {@code key}'s flag: its description, default and environment variable. */
  static String help(ConfigKey key) {
    String def = key.defaultValue().isEmpty() ? "none" : key.defaultValue();
    // picocli formats descriptions (%n): a literal percent sign must be doubled.
    return (key.description() + " Default: " + def + "; env " + key.env() + ".").replace("%", "%%");
  }

  /**
   * Adds one option per {@link ConfigKey} to the command that mixes {@link NodeOptions} in
   * (picocli applies a mixin's model transformer to the command it is mixed into).
   */
  public static final class Generator implements IModelTransformer {
    @Override
    public CommandSpec transform(CommandSpec command) {
      NodeOptions target = command.mixins().values().stream().map(CommandSpec::userObject)
          .filter(NodeOptions.class::isInstance).map(NodeOptions.class::cast).findFirst()
          .orElseThrow(() -> new IllegalStateException(command.name() + " has no NodeOptions mixin"));
      for (ConfigKey key : ConfigKey.values()) {
        OptionSpec.Builder b = OptionSpec.builder(key.flag())
            .paramLabel(key.paramLabel())
            .description(help(key))
            .setter(new Setter(target, key))
            .getter(new Getter(target, key));
        if (key.isList()) {
          b.type(List.class).auxiliaryTypes(String.class);
        } else {
          b.type(String.class);
        }
        command.addOption(b.build());
      }
      return command;
    }
  }

  /** Stores what picocli parsed for one key; null (picocli's reset before parsing) forgets it. */
  private record Setter(NodeOptions target, ConfigKey key) implements ISetter {
    @Override
    @SuppressWarnings("unchecked")
    public <T> T set(T value) {
      if (value == null) {
        target.given.remove(key);
      } else if (value instanceof List<?> list) {
        if (list.isEmpty()) {
          target.given.remove(key);
        } else {
          target.given.put(key, new ArrayList<>((List<String>) list));
        }
      } else {
        target.given.put(key, List.of(value.toString()));
      }
      return null;
    }
  }

  private record Getter(NodeOptions target, ConfigKey key) implements IGetter {
    @Override
    @SuppressWarnings("unchecked")
    public <T> T get() {
      List<String> v = target.given.get(key);
      if (v == null) {
        return null;
      }
      return (T) (key.isList() ? new ArrayList<>(v) : v.get(0));
    }
  }
}
