package dev.peerdist.discovery.pccrd;

import dev.peerdist.discovery.DiscoveryKey;
import java.util.List;

/**
 * The segment ids one PCCRD probe asks for, in probe order, all of one form.
 *
 * @param form V1 (hex scopes) or V2 (base64 blob)
 * @param keys the requested ids in the order they travel; V2 availability bits follow this order
 */
public record PccrdQuery(DiscoveryKey.Form form, List<DiscoveryKey> keys) {
  public PccrdQuery {
    keys = List.copyOf(keys);
    if (keys.isEmpty()) {
      throw new IllegalArgumentException("a probe needs at least one key");
    }
    for (DiscoveryKey k : keys) {
      if (k.form() != form) {
        throw new IllegalArgumentException("mixed key forms in one probe: " + k.form() + " and " + form);
      }
    }
    if (form == DiscoveryKey.Form.V2) {
      if (keys.size() > 255) {
        throw new IllegalArgumentException("a V2 probe carries at most 255 ids, got " + keys.size());
      }
      int size = keys.get(0).toBytes().length;
      for (DiscoveryKey k : keys) {
        if (k.toBytes().length != size) {
          throw new IllegalArgumentException("V2 ids in one probe must have one length");
        }
      }
    }
  }
}
