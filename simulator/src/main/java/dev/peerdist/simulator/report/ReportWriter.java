package dev.peerdist.simulator.report;

import dev.peerdist.node.admin.Json;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** Writes {@code report.json} and {@code report.html} into a directory. */
public final class ReportWriter {
  private ReportWriter() {}

  /** report.json: {@link SiteReport#toMap()} as one JSON document and a newline. */
  public static String json(SiteReport r) {
    return Json.write(r.toMap()) + "\n";
  }

  /**
   * Writes both files into {@code dir} (created if needed), each through a temporary file and a
   * rename so that a reader never sees half a report.
   *
   * @return the paths written: report.json, report.html
   */
  public static Path[] write(SiteReport r, Path dir) throws IOException {
    Files.createDirectories(dir);
    String json = json(r);
    Path j = dir.resolve("report.json");
    Path h = dir.resolve("report.html");
    replace(j, json);
    replace(h, ReportHtml.render(r.scenario().name() + " — " + r.model(), json));
    return new Path[] {j, h};
  }

  private static void replace(Path target, String text) throws IOException {
    Path tmp = target.resolveSibling(target.getFileName() + ".tmp");
    Files.writeString(tmp, text, StandardCharsets.UTF_8);
    Files.move(tmp, target, java.nio.file.StandardCopyOption.REPLACE_EXISTING,
        java.nio.file.StandardCopyOption.ATOMIC_MOVE);
  }
}
