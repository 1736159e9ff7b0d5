package dev.peerdist.node.bridge;

import dev.peerdist.chunkstore.ChunkStore;
import dev.peerdist.chunkstore.SegmentInfo;
import dev.peerdist.chunkstore.SegmentRecord;
import dev.peerdist.chunkstore.SegmentRecords;
import dev.peerdist.chunkstore.SideTable;
import dev.peerdist.chunkstore.StoredBlock;
import dev.peerdist.chunkstore.content.BlockCipher;
import dev.peerdist.chunkstore.content.ByteRange;
import dev.peerdist.chunkstore.content.ContentInformation;
import dev.peerdist.chunkstore.content.ContentVersion;
import dev.peerdist.chunkstore.content.HashAlgorithm;
import dev.peerdist.chunkstore.content.SegmentId;
import dev.peerdist.node.bridge.BridgeCodec.ContentMap;
import dev.peerdist.node.bridge.BridgeCodec.V1Part;
import dev.peerdist.node.bridge.BridgeCodec.V2Entry;
import dev.peerdist.node.http.VirtualSegments;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import java.util.random.RandomGenerator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The V1/V2 content bridge (issue 10 item 1): a node that holds a package as V1 blocks also
 * answers for, and serves, the same bytes as the V2 segments a V2 client asks for.
 *
 * <p><b>Why.</b> {@code peerdist publish} gives V2 content information to clients that accept
 * 1.0–2.0 (iPXE, Windows 8 and later), while a node fetches V1 (32 MiB segments: few probes, good
 * for swarming between nodes). The two versions cut the content differently and have different
 * segment ids, so without the bridge a node never matches a V2 client's probes.
 *
 * <p><b>How.</b> After the node got a package's V1 content information it asks the publisher
 * again offering 2.0 ({@link BridgeRegistrar}) and {@link #register}s both. For each V2 segment
 * the bridge remembers its byte range in the content, HoD and Kp (PROTOCOL.md §2.4), tied to the
 * V1 segments of the same content, in the store's {@link SideTable} (so it survives restarts;
 * layout in {@link BridgeCodec}). A V2 segment is held when every V1 block covering its range is
 * in the store. Serving one (PROTOCOL.md §4.6: block 0 of its HoHoDk, the whole ≤ 128 KiB
 * segment) reads those V1 blocks (decrypted and verified by the store), slices the range, checks
 * it against the V2 HoD and only then encrypts it with the V2 segment's key under the §4.5 rules:
 * CryptoAlgoId 3, key = Kp, a fresh random IV, PKCS#7.
 *
 * <p><b>Eviction.</b> The V1 segments come and go with the store's LRU; the bridge answers "not
 * held" as soon as a needed V1 block is gone, and drops a content's entries once none of its V1
 * segments is in the store any more ({@link #sweep}, and lazily when asked about it). A V2
 * segment whose assembled bytes do not match its HoD (content changed between the two requests,
 * or a lying publisher) drops its whole content, counted in {@link Stats#mismatches()}.
 *
 * <p>Thread-safe: called by the PCCRD responder, the PCCRR store readers and the registrar.
 */
public final class ContentBridge implements VirtualSegments {
  private static final Logger LOG = LoggerFactory.getLogger(ContentBridge.class);
  /** V1 segments in one bridged content: 32 GiB (the content record stays under 64 KiB). */
  static final int MAX_V1_SEGMENTS = 1024;
  /** V2 segments in one bridged content (bounds what one registration writes). */
  static final int MAX_V2_SEGMENTS = 1 << 20;
  private static final int BATCH = 512;
  private static final int PLAIN_CACHE_BLOCKS = 16;
  private static final byte[] EMPTY = new byte[0];

  private final ChunkStore store;
  private final SideTable table;
  private final Clock clock;
  private final RandomGenerator random;
  private final Lru<ByteBuffer, ContentMap> contents = new Lru<>(64);
  private final Lru<SegmentId, V2Entry> entries = new Lru<>(4096);
  /** Recently read V1 plaintext blocks: neighbouring V2 segments share them. */
  private final Lru<String, byte[]> plain = new Lru<>(PLAIN_CACHE_BLOCKS);
  private final AtomicLong served = new AtomicLong();
  private final AtomicLong mismatches = new AtomicLong();
  private final AtomicLong registered = new AtomicLong();
  private final AtomicLong dropped = new AtomicLong();

  /** What the bridge did since start. */
  public record Stats(long registered, long served, long mismatches, long dropped) {}

  /**
   * @param random source of IVs for re-encrypted segments; a {@link java.security.SecureRandom}
   *     outside tests
   */
  public ContentBridge(ChunkStore store, Clock clock, RandomGenerator random) {
    this.store = store;
    this.table = store.sideTable();
    this.clock = clock;
    this.random = random;
  }

  /** A small synchronized LRU map. */
  private static final class Lru<K, V> {
    private final Map<K, V> map;

    Lru(int capacity) {
      this.map = new LinkedHashMap<>(16, 0.75f, true) {
        private static final long serialVersionUID = 1L;

        @Override
        protected boolean removeEldestEntry(Map.Entry<K, V> eldest) {
          return size() > capacity;
        }
      };
    }

    synchronized V get(K k) {
      return map.get(k);
    }

    synchronized void put(K k, V v) {
      map.put(k, v);
    }

    synchronized void remove(K k) {
      map.remove(k);
    }

    synchronized void clear() {
      map.clear();
    }
  }

  public Stats stats() {
    return new Stats(registered.get(), served.get(), mismatches.get(), dropped.get());
  }

  // ---------------------------------------------------------------- registering

  /**
   * The key a V1 content is bridged under: SHA-256 of its segment ids in order and its length.
   *
   * @throws IllegalArgumentException when {@code v1} is not V1 content information
   */
  public static byte[] contentKey(ContentInformation v1) {
    if (v1.version() != ContentVersion.V1) {
      throw new IllegalArgumentException("the bridge is keyed by V1 content information, got " + v1.version());
    }
    MessageDigest d = HashAlgorithm.SHA_256.newDigest();
    for (int i = 0; i < v1.segmentCount(); i++) {
      d.update(v1.segmentId(i).toBytes());
    }
    d.update(ByteBuffer.allocate(8).putLong(v1.contentRange().end()).array());
    return d.digest();
  }

  /** Whether the content of {@code v1} is bridged already (nothing to ask the publisher). */
  public boolean covers(ContentInformation v1) {
    return content(contentKey(v1)).isPresent();
  }

  /**
   * Records that {@code v2} describes the same bytes as {@code v1}: every V2 segment becomes
   * servable from the V1 blocks. Both must describe the whole content (a full-file request).
   *
   * @return how many V2 segments were mapped (0 when the content was bridged already)
   * @throws IllegalArgumentException naming what does not fit: versions, ranges, lengths, sizes,
   *     a segment that does not verify, or V2 bytes that differ from the V1 bytes held
   */
  public int register(ContentInformation v1, ContentInformation v2) {
    if (v1.version() != ContentVersion.V1 || v2.version() != ContentVersion.V2) {
      throw new IllegalArgumentException("bridge needs V1 and V2 content information, got " + v1.version() + " and "
          + v2.version());
    }
    ByteRange whole = v1.contentRange();
    if (whole.start() != 0 || !v1.listedRange().equals(whole) || !v2.contentRange().equals(whole)
        || !v2.listedRange().equals(whole)) {
      throw new IllegalArgumentException("bridge needs both versions of the whole content: V1 covers " + whole
          + " (listed " + v1.listedRange() + "), V2 covers " + v2.contentRange() + " (listed " + v2.listedRange() + ")");
    }
    if (v1.segmentCount() == 0 || v2.segmentCount() == 0) {
      throw new IllegalArgumentException("empty content has nothing to bridge");
    }
    if (v1.segmentCount() > MAX_V1_SEGMENTS || v2.segmentCount() > MAX_V2_SEGMENTS) {
      throw new IllegalArgumentException("content of " + v1.segmentCount() + " V1 / " + v2.segmentCount()
          + " V2 segments is too large to bridge (at most " + MAX_V1_SEGMENTS + " / " + MAX_V2_SEGMENTS + ")");
    }
    byte[] key = contentKey(v1);
    if (content(key).isPresent()) {
      return 0;
    }
    List<V1Part> parts = new ArrayList<>(v1.segmentCount());
    for (int i = 0; i < v1.segmentCount(); i++) {
      SegmentRecord r = SegmentRecords.from(v1, i);
      parts.add(new V1Part(r.id(), v1.segmentRange(i).start(), r.segmentLength()));
    }
    ContentMap map = new ContentMap(key, whole.end(), v2.segmentCount(), parts);
    SideTable.Batch batch = new SideTable.Batch();
    List<SegmentId> written = new ArrayList<>();
    try {
      for (int j = 0; j < v2.segmentCount(); j++) {
        SegmentRecord r = SegmentRecords.from(v2, j);
        ByteRange range = v2.segmentRange(j);
        V2Entry e = new V2Entry(key, range.start(), r.segmentLength(), r.hashOfData(), r.segmentSecret());
        batch.put(BridgeCodec.v2Key(r.id()), BridgeCodec.encode(e));
        batch.put(BridgeCodec.indexKey(key, r.id()), EMPTY);
        written.add(r.id());
        entries.remove(r.id());
        if (written.size() % BATCH == 0) {
          table.write(batch);
          batch = new SideTable.Batch();
        }
      }
      if (!batch.isEmpty()) {
        table.write(batch);
      }
      // Spot checks where the V1 bytes are already here: the first and the last V2 segment.
      for (SegmentId id : List.of(written.get(0), written.get(written.size() - 1))) {
        V2Entry e = entry(id).orElseThrow();
        Optional<byte[]> bytes = assemble(e, map);
        if (bytes.isPresent() && !matches(id, e, bytes.get())) {
          throw new IllegalArgumentException("V2 segment " + id + " does not hash to its HoD over the V1 bytes held:"
              + " the two content informations describe different bytes");
        }
      }
    } catch (RuntimeException e) {
      // The content record was never written, so nothing refers to these entries: remove them.
      dropEntries(key);
      throw e;
    }
    // Written last: until it exists the content is not bridged, whatever a crash left behind.
    table.put(BridgeCodec.contentKey(key), BridgeCodec.encode(map));
    contents.put(ByteBuffer.wrap(key), map);
    registered.incrementAndGet();
    LOG.info("bridge: {} V2 segments now served from {} V1 segments ({} bytes)", v2.segmentCount(),
        parts.size(), whole.end());
    return v2.segmentCount();
  }

  // ---------------------------------------------------------------- lookups

  private Optional<ContentMap> content(byte[] key) {
    return cached(contents, ByteBuffer.wrap(key), BridgeCodec.contentKey(key), v -> BridgeCodec.decodeContent(key, v),
        () -> dropContent(key));
  }

  private Optional<V2Entry> entry(SegmentId id) {
    return cached(entries, id, BridgeCodec.v2Key(id), BridgeCodec::decodeV2,
        () -> table.delete(BridgeCodec.v2Key(id)));
  }

  /**
   * A decoded side-table value through {@code cache}; a value that does not decode (damage, or a
   * record of another version) is logged and removed with {@code drop}, and reads as absent.
   */
  private <K, V> Optional<V> cached(Lru<K, V> cache, K k, byte[] tableKey,
      java.util.function.Function<byte[], V> decode, Runnable drop) {
    V hit = cache.get(k);
    if (hit != null) {
      return Optional.of(hit);
    }
    Optional<byte[]> raw = table.get(tableKey);
    if (raw.isEmpty()) {
      return Optional.empty();
    }
    V value;
    try {
      value = decode.apply(raw.get());
    } catch (IllegalArgumentException e) {
      LOG.warn("bridge: dropping an unreadable record: {}", e.getMessage());
      drop.run();
      return Optional.empty();
    }
    cache.put(k, value);
    return Optional.of(value);
  }

  /** A V2 segment with its content, when bridged. */
  private record Located(V2Entry entry, ContentMap map) {}

  private Optional<Located> locate(SegmentId id) {
    Optional<V2Entry> e = entry(id);
    if (e.isEmpty()) {
      return Optional.empty();
    }
    Optional<ContentMap> m = content(e.get().contentKey());
    if (m.isEmpty()) {
      return Optional.empty(); // An orphan of an interrupted registration; sweep() removes it.
    }
    return Optional.of(new Located(e.get(), m.get()));
  }

  /** The V1 blocks covering {@code e}: per overlapping part, the first and last block index. */
  private static List<int[]> cover(V2Entry e, ContentMap m) {
    List<int[]> out = new ArrayList<>();
    for (int i = 0; i < m.v1().size(); i++) {
      V1Part p = m.v1().get(i);
      long from = Math.max(e.offset(), p.offset());
      long to = Math.min(e.end(), p.end());
      if (from < to) {
        out.add(new int[] {i, (int) ((from - p.offset()) / SegmentRecord.V1_BLOCK_SIZE),
            (int) ((to - 1 - p.offset()) / SegmentRecord.V1_BLOCK_SIZE)});
      }
    }
    return out;
  }

  /** Whether every V1 block covering the V2 segment is in the store now. */
  private boolean available(V2Entry e, ContentMap m) {
    List<int[]> cover = cover(e, m);
    if (cover.isEmpty()) {
      return false;
    }
    for (int[] c : cover) {
      SegmentId v1 = m.v1().get(c[0]).id();
      BitSet present = store.presentBlocks(v1);
      if (present.nextClearBit(c[1]) <= c[2]) {
        if (present.isEmpty() && store.segment(v1).isEmpty()) {
          dropIfGone(m);
        }
        return false;
      }
    }
    return true;
  }

  /** Whether {@code id} is a bridged V2 segment whose bytes are all held now. */
  public boolean holds(SegmentId id) {
    Optional<Located> l = locate(id);
    return l.isPresent() && available(l.get().entry(), l.get().map());
  }

  /**
   * How long ago the V1 bytes of a held V2 segment were last used (its age for PCCRD V2
   * SegmentAges, PROTOCOL.md §3.5); empty when the segment is not held.
   */
  public Optional<Duration> age(SegmentId id) {
    Optional<Located> l = locate(id);
    if (l.isEmpty() || !available(l.get().entry(), l.get().map())) {
      return Optional.empty();
    }
    List<int[]> cover = cover(l.get().entry(), l.get().map());
    Optional<SegmentInfo> info = store.segmentInfo(l.get().map().v1().get(cover.get(0)[0]).id());
    return info.map(i -> {
      Duration d = Duration.between(i.lastAccess(), clock.instant());
      return d.isNegative() ? Duration.ZERO : d;
    });
  }

  @Override
  public BitSet presentBlocks(SegmentId id) {
    BitSet b = new BitSet(1);
    if (holds(id)) {
      b.set(0); // A V2 segment is block 0 of its id (PROTOCOL.md §4.6).
    }
    return b;
  }

  @Override
  public Optional<StoredBlock> storedBlock(SegmentId id, int index) {
    if (index != 0) {
      return Optional.empty();
    }
    Optional<Located> l = locate(id);
    if (l.isEmpty() || !available(l.get().entry(), l.get().map())) {
      return Optional.empty();
    }
    V2Entry e = l.get().entry();
    Optional<byte[]> bytes = assemble(e, l.get().map());
    if (bytes.isEmpty()) {
      return Optional.empty();
    }
    if (!matches(id, e, bytes.get())) {
      mismatches.incrementAndGet();
      LOG.warn("bridge: V2 segment {} does not hash to its HoD over the V1 bytes; dropping its content's bridge", id);
      dropContent(e.contentKey());
      return Optional.empty();
    }
    // PROTOCOL.md §4.5 server rule: AES-256 (label 3) under the full Kp, a fresh IV, PKCS#7.
    byte[] iv = new byte[BlockCipher.IV_LENGTH];
    synchronized (random) {
      random.nextBytes(iv);
    }
    byte[] cipher = BlockCipher.encrypt(BlockCipher.AES_256, e.segmentSecret(), iv, bytes.get(), 0, bytes.get().length);
    served.incrementAndGet();
    return Optional.of(new StoredBlock(BlockCipher.AES_256, iv, cipher));
  }

  /** The V2 segment's bytes from the V1 blocks (decrypted and verified by the store), or empty. */
  private Optional<byte[]> assemble(V2Entry e, ContentMap m) {
    byte[] out = new byte[e.length()];
    for (int[] c : cover(e, m)) {
      V1Part p = m.v1().get(c[0]);
      for (int b = c[1]; b <= c[2]; b++) {
        byte[] block = v1Block(p.id(), b);
        if (block == null) {
          return Optional.empty();
        }
        long blockStart = p.offset() + (long) b * SegmentRecord.V1_BLOCK_SIZE;
        long from = Math.max(e.offset(), blockStart);
        long to = Math.min(e.end(), blockStart + block.length);
        if (from < to) {
          System.arraycopy(block, (int) (from - blockStart), out, (int) (from - e.offset()), (int) (to - from));
        }
      }
    }
    return Optional.of(out);
  }

  private byte[] v1Block(SegmentId id, int index) {
    String k = id.toHex() + "/" + index;
    byte[] cached = plain.get(k);
    if (cached != null) {
      return cached;
    }
    Optional<byte[]> b = store.readBlock(id, index);
    if (b.isEmpty()) {
      return null;
    }
    plain.put(k, b.get());
    return b.get();
  }

  /** Whether {@code bytes} are the V2 segment {@code id}: HoD matches and HoD with Kp gives the id. */
  private static boolean matches(SegmentId id, V2Entry e, byte[] bytes) {
    SegmentRecord r;
    try {
      r = SegmentRecord.v2(e.hashOfData(), e.segmentSecret(), e.length());
    } catch (IllegalArgumentException x) {
      return false;
    }
    return r.id().equals(id) && r.verifies(0, bytes, 0, bytes.length);
  }

  // ---------------------------------------------------------------- clean-up

  /** Drops a content whose V1 segments have all left the store. */
  private void dropIfGone(ContentMap m) {
    for (V1Part p : m.v1()) {
      if (store.segment(p.id()).isPresent()) {
        return;
      }
    }
    LOG.debug("bridge: the V1 segments of a content were all evicted; dropping its bridge");
    dropContent(m.key());
  }

  /**
   * Removes what no longer serves: contents none of whose V1 segments is in the store, and
   * entries an interrupted registration left without a content record.
   *
   * @return how many contents (or orphan groups) were removed
   */
  public int sweep() {
    int removed = 0;
    byte[] after = null;
    while (true) {
      List<SideTable.Entry> page = table.scan(new byte[] {BridgeCodec.CONTENT}, after, 256);
      for (SideTable.Entry en : page) {
        byte[] key = java.util.Arrays.copyOfRange(en.key(), 1, en.key().length);
        Optional<ContentMap> m = content(key);
        if (m.isPresent() && m.get().v1().stream().noneMatch(p -> store.segment(p.id()).isPresent())) {
          dropContent(key);
          removed++;
        }
      }
      if (page.size() < 256) {
        break;
      }
      after = page.get(page.size() - 1).key();
    }
    after = null;
    byte[] lastOrphan = null;
    while (true) {
      List<SideTable.Entry> page = table.scan(new byte[] {BridgeCodec.INDEX}, after, 1024);
      for (SideTable.Entry en : page) {
        byte[] key = java.util.Arrays.copyOfRange(en.key(), 1, 1 + BridgeCodec.KEY_LENGTH);
        if (!java.util.Arrays.equals(key, lastOrphan) && table.get(BridgeCodec.contentKey(key)).isEmpty()) {
          dropEntries(key);
          lastOrphan = key;
          removed++;
        }
      }
      if (page.size() < 1024) {
        break;
      }
      after = page.get(page.size() - 1).key();
    }
    return removed;
  }

  private void dropContent(byte[] key) {
    dropEntries(key);
    table.delete(BridgeCodec.contentKey(key));
    contents.remove(ByteBuffer.wrap(key));
    plain.clear();
    dropped.incrementAndGet();
  }

  /** Deletes the V2 entries of a content (those another content took over stay). */
  private void dropEntries(byte[] key) {
    byte[] prefix = BridgeCodec.indexPrefix(key);
    while (true) {
      List<SideTable.Entry> page = table.scan(prefix, null, 1024);
      if (page.isEmpty()) {
        return;
      }
      SideTable.Batch batch = new SideTable.Batch();
      for (SideTable.Entry en : page) {
        SegmentId id = BridgeCodec.idOfIndexKey(en.key());
        Optional<byte[]> v = table.get(BridgeCodec.v2Key(id));
        if (v.isPresent() && v.get().length > BridgeCodec.KEY_LENGTH
            && java.util.Arrays.equals(v.get(), 1, 1 + BridgeCodec.KEY_LENGTH, key, 0, key.length)) {
          batch.delete(BridgeCodec.v2Key(id));
        }
        batch.delete(en.key());
        entries.remove(id);
      }
      table.write(batch);
    }
  }
}
