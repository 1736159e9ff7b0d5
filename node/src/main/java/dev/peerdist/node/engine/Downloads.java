package dev.peerdist.node.engine;

import java.io.IOException;
import java.net.URI;
import java.util.List;
import java.util.Optional;

/** Starts downloads through a node and remembers recent ones (what the admin endpoint uses). */
public interface Downloads {
  /**
   * Starts downloading {@code url} from its publisher through peers.
   *
   * @throws IOException when the publisher cannot be asked (the message names URL and status)
   */
  Download open(URI url) throws IOException;

  /** Recent downloads, newest first (bounded). */
  List<DownloadRecord> recent();

  /** A recent download by id. */
  Optional<DownloadRecord> find(String id);
}
