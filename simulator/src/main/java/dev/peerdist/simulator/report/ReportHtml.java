package dev.peerdist.simulator.report;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

/**
 * {@code report.html}: one self-contained page (no network: the JSON report and the script that
 * draws its SVG charts are inline). The template is the resource {@code report.html} next to this
 * class. When every chart is drawn the page sets {@code data-rendered="ok"} on its body; a script
 * error is shown in {@code #errors} and counted in {@code data-errors}.
 */
public final class ReportHtml {
  private ReportHtml() {}

  /** The page for report.json text {@code json}. */
  public static String render(String title, String json) {
    String template;
    try (InputStream in = ReportHtml.class.getResourceAsStream("report.html")) {
      if (in == null) {
        throw new IllegalStateException("report.html template missing from the build");
      }
      template = new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    // '<' occurs in JSON only inside strings, where \u003c means the same: no "</script>" can end
    // the data block early.
    String data = json.strip().replace("<", "\\u003c");
    return template.replace("{{TITLE}}", escape(title)).replace("{{DATA}}", data);
  }

  private static String escape(String s) {
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
  }
}
