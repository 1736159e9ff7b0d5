package dev.peerdist.simulator.scenario;

import dev.peerdist.node.ConfigException;
import dev.peerdist.node.ConfigFileLines;
import dev.peerdist.node.units.Durations;
import dev.peerdist.node.units.Rate;
import dev.peerdist.node.units.Size;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Reads scenario files: the node's config-file syntax ({@link ConfigFileLines}: {@code key =
 * value}, {@code #} comments, {@code [section]} headers) with these sections and keys, every one
 * checked. An unknown section or key, a repeated key, or a bad value is an error naming the key
 * and {@code file:line}; sizes, durations and rates are read by the one parser of each ({@link
 * Size}: K, M, G, T count in 1024s; {@link Rate}: bit rates in 1000s; {@link Durations}), as the
 * node's config file is.
 *
 * <pre>
 * [site]          name, description, seed, wan-rate (required), wan-rtt, wan-budget, lan-rate, time-limit
 * [publisher]     content-version, upload-rate
 * [subnet.NAME]   clients (required), lan-rate, cache-servers, cache-prepopulated, seeded-clients
 * [package.NAME]  size (required), subnets, fraction, start
 * [arrival]       pattern (all-at-once | uniform | waves | poisson), window, waves, rate
 * [faults]        leave-fraction, leave-after (random | DURATION | N%), corrupt-fraction, stall-every, stall-max
 * </pre>
 *
 * Defaults: seed 1, wan-rtt 0, no wan-budget, lan-rate 1Gbit, time-limit 1h, content-version 1,
 * no publisher upload cap, cache-servers 0, cache-prepopulated true, seeded-clients 0, a package
 * wanted by every client of every subnet from its arrival, pattern all-at-once with window 0, no
 * faults. Overrides ({@code --set section.key=value}, {@code *} for every named section, e.g.
 * {@code subnet.*.clients=200}) go through the same checks.
 */
public final class ScenarioFile {
  private static final Map<String, Set<String>> KEYS = Map.of(
      "site", Set.of("name", "description", "seed", "wan-rate", "wan-rtt", "wan-budget", "lan-rate", "time-limit"),
      "publisher", Set.of("content-version", "upload-rate"),
      "subnet", Set.of("clients", "lan-rate", "cache-servers", "cache-prepopulated", "seeded-clients"),
      "package", Set.of("size", "subnets", "fraction", "start"),
      "arrival", Set.of("pattern", "window", "waves", "rate"),
      "faults", Set.of("leave-fraction", "leave-after", "corrupt-fraction", "stall-every", "stall-max"));
  private static final Set<String> NAMED = Set.of("subnet", "package");

  private ScenarioFile() {}

  /**
   * One override of a scenario value.
   *
   * @param path {@code section.key}, e.g. {@code site.seed} or {@code subnet.*.clients}
   * @param value the value as it would be written in the file
   * @param source where it came from, for errors (e.g. {@code flag --seed})
   */
  public record Override(String path, String value, String source) {}

  private record Entry(String value, String source) {}

  private static final class Section {
    final String kind;
    final String name;
    final String source;
    final Map<String, Entry> keys = new LinkedHashMap<>();

    Section(String kind, String name, String source) {
      this.kind = kind;
      this.name = name;
      this.source = source;
    }
  }

  /** Reads {@code file}; the scenario's default name is the file name without its extension. */
  public static Scenario read(Path file, List<Override> overrides) {
    List<String> lines;
    try {
      lines = Files.readAllLines(file, StandardCharsets.UTF_8);
    } catch (NoSuchFileException e) {
      throw new ScenarioException("no such scenario file: " + file);
    } catch (IOException e) {
      throw new ScenarioException("cannot read scenario file " + file + ": " + e.getMessage(), e);
    }
    String stem = file.getFileName().toString().replaceFirst("\\.[^.]*$", "");
    return parse(lines, file.toString(), stem, overrides);
  }

  /**
   * Parses scenario text.
   *
   * @param source names the text in errors (a file name, {@code shipped NAME})
   * @param defaultName the name when {@code [site] name} is absent
   * @throws ScenarioException naming the key and {@code source:line}
   */
  public static Scenario parse(List<String> lines, String source, String defaultName, List<Override> overrides) {
    Map<String, Section> sections = new LinkedHashMap<>();
    List<ConfigFileLines.Line> parsed;
    try {
      parsed = ConfigFileLines.parse(lines, source);
    } catch (ConfigException e) {
      throw new ScenarioException("scenario " + e.source() + ": '" + e.key() + "': expected 'key = value'");
    }
    for (ConfigFileLines.Line line : parsed) {
      String where = source + ":" + line.number();
      Section s = section(sections, line.section(), where, true);
      put(s, line.key(), new Entry(listValue(line), where));
    }
    for (Override o : overrides) {
      int dot = o.path().lastIndexOf('.');
      if (dot <= 0 || dot == o.path().length() - 1) {
        throw new ScenarioException(o.source() + ": '" + o.path() + "' is not section.key (e.g. site.seed)");
      }
      String sectionId = o.path().substring(0, dot);
      String key = o.path().substring(dot + 1);
      if (sectionId.endsWith(".*")) {
        String kind = sectionId.substring(0, sectionId.length() - 2);
        List<Section> all = sections.values().stream().filter(s -> s.kind.equals(kind)).toList();
        if (!NAMED.contains(kind) || all.isEmpty()) {
          throw new ScenarioException(o.source() + ": no [" + kind + ".NAME] section to set " + key + " in");
        }
        for (Section s : all) {
          override(s, key, new Entry(o.value(), o.source()));
        }
      } else {
        override(section(sections, sectionId, o.source(), false), key, new Entry(o.value(), o.source()));
      }
    }
    try {
      return build(sections, source, defaultName);
    } catch (IllegalArgumentException e) {
      throw new ScenarioException("scenario " + source + ": " + e.getMessage());
    }
  }

  private static String listValue(ConfigFileLines.Line line) {
    String raw = line.raw();
    if (raw.startsWith("[") && raw.endsWith("]")) {
      List<String> items = new ArrayList<>();
      for (String item : raw.substring(1, raw.length() - 1).split(",")) {
        if (!item.isBlank()) {
          items.add(ConfigFileLines.unquote(item.trim()));
        }
      }
      return String.join(",", items);
    }
    return line.value();
  }

  private static Section section(Map<String, Section> sections, String id, String where, boolean create) {
    Section s = sections.get(id);
    if (s != null) {
      return s;
    }
    if (id.isEmpty()) {
      throw new ScenarioException("scenario " + where + ": a key before the first [section] (start with [site])");
    }
    int dot = id.indexOf('.');
    String kind = dot < 0 ? id : id.substring(0, dot);
    String name = dot < 0 ? null : id.substring(dot + 1);
    if (!KEYS.containsKey(kind) || NAMED.contains(kind) != (name != null)) {
      throw new ScenarioException("scenario " + where + ": unknown section [" + id + "] (known: [site], [publisher], "
          + "[subnet.NAME], [package.NAME], [arrival], [faults])");
    }
    if (name != null && !create) {
      throw new ScenarioException(where + ": the scenario has no [" + id + "] section");
    }
    s = new Section(kind, name, where);
    sections.put(id, s);
    return s;
  }

  private static void checkKey(Section s, String key, String where) {
    if (!KEYS.get(s.kind).contains(key)) {
      throw new ScenarioException("scenario " + where + ": unknown key '" + key + "' in [" + s.kind
          + (s.name != null ? "." + s.name : "") + "] (known: " + String.join(", ", KEYS.get(s.kind).stream().sorted()
          .toList()) + ")");
    }
  }

  private static void put(Section s, String key, Entry e) {
    checkKey(s, key, e.source());
    Entry before = s.keys.get(key);
    if (before != null) {
      throw new ScenarioException("scenario " + e.source() + ": key '" + key + "' repeated (first at "
          + before.source() + ")");
    }
    s.keys.put(key, e);
  }

  private static void override(Section s, String key, Entry e) {
    checkKey(s, key, e.source());
    s.keys.put(key, e);
  }

  private static Scenario build(Map<String, Section> sections, String source, String defaultName) {
    Values site = new Values(sections.get("site"), source);
    Values pub = new Values(sections.get("publisher"), source);
    Values arr = new Values(sections.get("arrival"), source);
    Values flt = new Values(sections.get("faults"), source);
    long lan = site.rate("lan-rate", "1Gbit");
    List<Scenario.Subnet> subnets = new ArrayList<>();
    List<Scenario.PackageSpec> packages = new ArrayList<>();
    for (Section s : sections.values()) {
      Values v = new Values(s, source);
      if (s.kind.equals("subnet")) {
        subnets.add(v.wrap("clients", () -> new Scenario.Subnet(s.name, v.count("clients", null, 0, Scenario.MAX_NODES),
            v.has("lan-rate") ? v.rate("lan-rate", null) : lan, v.count("cache-servers", "0", 0, 1000),
            v.bool("cache-prepopulated", "true"), v.count("seeded-clients", "0", 0, Scenario.MAX_NODES))));
      } else if (s.kind.equals("package")) {
        packages.add(v.wrap("size", () -> new Scenario.PackageSpec(s.name, v.size("size"), v.list("subnets"),
            v.fraction("fraction", "1"), v.duration("start", "0"))));
      }
    }
    String patternText = arr.text("pattern", "all-at-once");
    Scenario.Pattern pattern = Scenario.Pattern.byLabel(patternText);
    if (pattern == null) {
      throw arr.bad("pattern", "'" + patternText + "' is not all-at-once, uniform, waves or poisson");
    }
    Scenario.Arrival arrival = arr.wrap("pattern", () -> new Scenario.Arrival(pattern, arr.duration("window", "0"),
        arr.count("waves", pattern == Scenario.Pattern.WAVES ? null : "0", 0, 10_000),
        arr.perSecond("rate", pattern == Scenario.Pattern.POISSON ? null : "0")));
    Duration stallEvery = flt.duration("stall-every", "0s");
    Duration stallMax = flt.duration("stall-max", "0s");
    String faultKey = stallEvery.isZero() == stallMax.isZero() ? "leave-fraction"
        : stallEvery.isZero() ? "stall-max" : "stall-every";
    Scenario.Faults faults = flt.wrap(faultKey, () -> new Scenario.Faults(flt.fraction("leave-fraction", "0"),
        flt.leaveAfter("leave-after"), flt.fraction("corrupt-fraction", "0"), stallEvery, stallMax));
    Scenario.Publisher publisher = pub.wrap("content-version", () -> new Scenario.Publisher(
        pub.count("content-version", "1", 1, 2), pub.optionalRate("upload-rate")));
    String name = site.text("name", defaultName.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9-]", "-"));
    return site.wrap("name", () -> new Scenario(name, site.text("description", ""), site.longValue("seed", "1"),
        site.rate("wan-rate", null), site.duration("wan-rtt", "0"), site.optionalRate("wan-budget"), publisher,
        subnets, packages, arrival, faults, site.duration("time-limit", "1h")));
  }

  /** Typed reads of one section's values; every error names the key and where it was written. */
  private static final class Values {
    private final Section section;
    private final String fileSource;

    Values(Section section, String fileSource) {
      this.section = section;
      this.fileSource = fileSource;
    }

    interface Build<T> {
      T get();
    }

    /** Runs a record constructor; a range error is reported at {@code key}'s line (or the section's). */
    <T> T wrap(String key, Build<T> b) {
      try {
        return b.get();
      } catch (IllegalArgumentException e) {
        throw new ScenarioException("scenario " + where(key) + ": " + e.getMessage());
      }
    }

    boolean has(String key) {
      return section != null && section.keys.containsKey(key);
    }

    String where(String key) {
      if (has(key)) {
        return section.keys.get(key).source();
      }
      return section != null ? section.source : fileSource;
    }

    ScenarioException bad(String key, String problem) {
      return ScenarioException.badValue(key, where(key), problem);
    }

    String text(String key, String def) {
      if (has(key)) {
        return section.keys.get(key).value().trim();
      }
      if (def == null) {
        String in = section == null ? "" : " in [" + section.kind + (section.name != null ? "." + section.name : "")
            + "]";
        throw ScenarioException.badValue(key, where(key), "required" + in);
      }
      return def;
    }

    long rate(String key, String def) {
      String v = text(key, def);
      try {
        Rate r = Rate.parse(v);
        if (r.isZero()) {
          throw bad(key, "'" + v + "' must be a rate above zero");
        }
        return r.bitsPerSecond();
      } catch (IllegalArgumentException e) {
        throw bad(key, e.getMessage());
      }
    }

    long optionalRate(String key) {
      String v = text(key, "0");
      return v.equals("0") || v.equalsIgnoreCase("none") ? 0 : rate(key, null);
    }

    long size(String key) {
      String v = text(key, null);
      try {
        return Size.parse(v).bytes();
      } catch (IllegalArgumentException e) {
        throw bad(key, e.getMessage());
      }
    }

    Duration duration(String key, String def) {
      String v = text(key, def);
      // Zero is a valid scenario value (no RTT, no window).
      try {
        return Durations.parse(v);
      } catch (IllegalArgumentException e) {
        throw bad(key, e.getMessage());
      }
    }

    int count(String key, String def, int min, int max) {
      String v = text(key, def);
      try {
        int n = Integer.parseInt(v);
        if (n < min || n > max) {
          throw bad(key, "'" + v + "' must be within " + min + ".." + max);
        }
        return n;
      } catch (NumberFormatException e) {
        throw bad(key, "'" + v + "' is not a whole number");
      }
    }

    long longValue(String key, String def) {
      String v = text(key, def);
      try {
        return Long.parseLong(v);
      } catch (NumberFormatException e) {
        throw bad(key, "'" + v + "' is not a whole number");
      }
    }

    double fraction(String key, String def) {
      String v = text(key, def);
      double d = number(key, v);
      if (!(d >= 0 && d <= 1)) {
        throw bad(key, "'" + v + "' must be within 0..1");
      }
      return d;
    }

    double perSecond(String key, String def) {
      String v = text(key, def).replaceFirst("\\s*/\\s*s$", "");
      return number(key, v);
    }

    private double number(String key, String v) {
      try {
        double d = Double.parseDouble(v);
        if (!Double.isFinite(d) || !v.matches("[0-9.eE+-]+")) {
          throw new NumberFormatException();
        }
        return d;
      } catch (NumberFormatException e) {
        throw bad(key, "'" + v + "' is not a number");
      }
    }

    boolean bool(String key, String def) {
      String v = text(key, def);
      if (v.equalsIgnoreCase("true")) {
        return true;
      }
      if (v.equalsIgnoreCase("false")) {
        return false;
      }
      throw bad(key, "'" + v + "' is not true or false");
    }

    List<String> list(String key) {
      List<String> out = new ArrayList<>();
      for (String s : text(key, "").split(",")) {
        if (!s.isBlank()) {
          out.add(s.trim());
        }
      }
      return out;
    }

    Scenario.LeaveAfter leaveAfter(String key) {
      String v = text(key, "random");
      if (v.equals("random")) {
        return Scenario.LeaveAfter.RANDOM;
      }
      if (v.endsWith("%")) {
        double pct = number(key, v.substring(0, v.length() - 1).trim());
        return wrap(key, () -> new Scenario.LeaveAfter(Scenario.LeaveAfter.Kind.OF_IDEAL, Duration.ZERO, pct / 100));
      }
      Duration d = duration(key, null);
      return wrap(key, () -> new Scenario.LeaveAfter(Scenario.LeaveAfter.Kind.FIXED, d, 0));
    }
  }
}
