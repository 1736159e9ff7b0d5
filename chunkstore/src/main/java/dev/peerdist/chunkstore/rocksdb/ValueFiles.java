package dev.peerdist.chunkstore.rocksdb;

import dev.peerdist.chunkstore.CapacityLedger;
import dev.peerdist.chunkstore.CorruptBlockException;
import dev.peerdist.chunkstore.SegmentRecord;
import dev.peerdist.chunkstore.content.SegmentId;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;
import java.util.zip.CRC32C;

/**
 * Block values in one file per segment ({@code values/<first two hex digits>/<segment id hex>}),
 * one fixed place per block index, written with positional writes into the page cache: each value
 * is written once, and RocksDB keeps only an {@linkplain #entry 8-byte entry} per block (issue 12).
 *
 * <h2>Layouts</h2>
 *
 * The stored form of a V1 block is at most {@value #SLOT} bytes (IV + AES-CBC ciphertext of 64
 * KiB with its 16-byte pad, {@link CapacityLedger#blockFootprint}). Where it goes is the store's
 * {@link Layout}, fixed by its format:
 *
 * <ul>
 *   <li>{@link Layout#ALIGNED} (format 4, every store created since 2026-12-05): block {@code i}'s
 *       first {@value #BODY} bytes at {@code (i + 1) × }{@value #BODY}, and the rest of a value of
 *       at most {@value #SLOT} bytes (the last 32 bytes of a full V1 block) at {@code i × }{@value
 *       #TAIL}, in the file's first {@value #BODY} bytes (a V1 segment's 512 tails take 16 KiB of
 *       it; the rest is a hole). Each body then starts on a page (and 64 KiB) boundary, so the
 *       kernel fills whole (large) page-cache folios; with the values packed {@value #SLOT} bytes
 *       apart, every value shared a page with each neighbour and the kernel wrote 17 single pages
 *       per block, which cost ~7 µs of CPU per 64 KiB block more than an aligned write of the same
 *       bytes (docs/PERFORMANCE.md, "Store put, 2026-12-05"). A file's length stays about the
 *       bytes of its blocks (one 64 KiB header more), as {@code valueFileBytes} reports it.
 *   <li>{@link Layout#PACKED} (format 3, stores created before): block {@code i}'s value at
 *       {@code i × }{@value #SLOT}, whole.
 * </ul>
 *
 * In both, a value longer than {@value #SLOT} bytes (only the one block of a V2 segment, at index
 * 0, at most {@link #MAX_VALUE} bytes) is written whole at its block's place (aligned: at
 * {@value #BODY}; packed: at 0; its file has no other block). Places
 * of blocks not held are holes (sparse files), so a file takes about the bytes of the blocks
 * written to it (plus, aligned, one page of tails per 128 blocks); the place of a block dropped on
 * its own (a damaged block) keeps its space until its segment goes.
 *
 * <h2>Entries and checks</h2>
 *
 * The presence entry of a block in a value file is {@code CRC32C (4) || length (4)}, big-endian,
 * written after the value's bytes. A read checks both: a value cut short, overwritten, or lost
 * with the page cache (a power cut that kept the index) is a {@link CorruptBlockException}, never
 * returned. The CRC32C is over the whole value, so a body read with another block's tail fails it
 * too.
 *
 * <h2>Open files</h2>
 *
 * At most {@code maxOpen} channels stay open (least recently used closed first, and a channel in
 * use is closed when its last user is done). Reads and writes are not interruptible, as RocksDB's
 * are not: a {@link FileChannel} closes itself when a thread using it is interrupted, so a
 * thread's interrupt status is set aside for the operation and restored after it, and a channel
 * closed under an operation anyway (an interrupt that arrived during it, here or in another
 * thread) is replaced and the operation retried once. Thread-safe.
 */
final class ValueFiles implements AutoCloseable {
  /** The directory under the store's directory. */
  static final String DIRECTORY = "values";
  /** The largest stored form of a V1 block. */
  static final int SLOT = (int) CapacityLedger.blockFootprint(SegmentRecord.V1_BLOCK_SIZE);
  /** {@link Layout#ALIGNED}: bytes of a value at its block's aligned place (a V1 block's size). */
  static final int BODY = SegmentRecord.V1_BLOCK_SIZE;
  /** {@link Layout#ALIGNED}: room for the rest of a value after its body. */
  static final int TAIL = SLOT - BODY;
  /** Blocks of the largest segment (V1): the most places a file has. */
  static final int MAX_BLOCKS = SegmentRecord.V1_SEGMENT_SIZE / SegmentRecord.V1_BLOCK_SIZE;
  /** The largest stored value: the one block of the largest V2 segment. */
  static final int MAX_VALUE = (int) CapacityLedger.blockFootprint(SegmentRecord.V2_MAX_SEGMENT_SIZE);
  /** Length of a presence entry that points into a value file. */
  static final int ENTRY_LENGTH = 8;
  /** Channels kept open by default. */
  static final int DEFAULT_OPEN_FILES = 64;

  private static final Set<PosixFilePermission> OWNER_FILE = PosixFilePermissions.fromString("rw-------");
  private static final Set<PosixFilePermission> OWNER_DIR = PosixFilePermissions.fromString("rwx------");

  /** Where a store's values go in their files (class docs). */
  enum Layout {
    /** Format 3: block {@code i} whole at {@code i × SLOT}. */
    PACKED,
    /** Format 4: block {@code i}'s body at {@code (i + 1) × BODY}, the rest of it at {@code i × TAIL}. */
    ALIGNED;

    /** Where block {@code index}'s value (aligned: its body) starts. */
    long position(int index) {
      return this == ALIGNED ? (long) (index + 1) * BODY : (long) index * SLOT;
    }

    /** Bytes of a {@code length}-byte value of block {@code index} at {@link #position}; the rest is its tail. */
    int head(int index, int length) {
      return this == PACKED || length > SLOT ? length : Math.min(length, BODY);
    }

    /** Where the tail of block {@code index}'s value starts (aligned), in the file's first {@code BODY} bytes. */
    static long tailPosition(int index) {
      return (long) index * TAIL;
    }
  }

  private final Path root;
  private final int maxOpen;
  private final boolean durable;
  /** Set by the store from its format at open, before any read or write ({@link #layout(Layout)}). */
  private volatile Layout layout = Layout.ALIGNED;
  /** Access-ordered: the eldest is the least recently used. Guarded by {@code this}. */
  private final LinkedHashMap<SegmentId, Handle> open = new LinkedHashMap<>(16, 0.75f, true);
  private boolean closed;

  /** One open channel and how many operations are using it. Guarded by the owning ValueFiles. */
  private static final class Handle {
    final FileChannel channel;
    int users;
    boolean retired;

    Handle(FileChannel channel) {
      this.channel = channel;
    }
  }

  /**
   * @param storeDirectory the store's directory ({@link #DIRECTORY} goes under it)
   * @param maxOpen channels kept open at most
   * @param durable whether new files and directories are synced into their parent (for a store
   *     whose writes are synced: a value's fdatasync does not make its new file's name durable)
   */
  ValueFiles(Path storeDirectory, int maxOpen, boolean durable) {
    if (maxOpen < 1) {
      throw new IllegalArgumentException("open value files " + maxOpen + " must be at least 1");
    }
    this.root = storeDirectory.resolve(DIRECTORY);
    this.maxOpen = maxOpen;
    this.durable = durable;
  }

  /** The file of a segment's values. */
  Path file(SegmentId id) {
    String hex = id.toHex();
    return root.resolve(hex.substring(0, 2)).resolve(hex);
  }

  /** Sets the layout of this store's files (its format says which); before any read or write. */
  void layout(Layout layout) {
    this.layout = java.util.Objects.requireNonNull(layout, "layout");
  }

  /** The layout of this store's files. */
  Layout layout() {
    return layout;
  }

  /** The presence entry of a stored value: CRC32C and length. */
  static byte[] entry(byte[] value) {
    CRC32C crc = new CRC32C();
    crc.update(value, 0, value.length);
    return ByteBuffer.allocate(ENTRY_LENGTH).putInt((int) crc.getValue()).putInt(value.length).array();
  }

  /**
   * Writes a stored value into its place ({@link Layout}: body, then tail); with {@code sync} the
   * file's data is on the disk when this returns ({@link FileChannel#force force(false)}:
   * fdatasync). A failure leaves at most some bytes in a place no entry points to.
   */
  void write(SegmentId id, int index, byte[] value, boolean sync) throws IOException {
    if (index < 0 || index >= MAX_BLOCKS) {
      throw new IllegalArgumentException("block index " + index + " is beyond any segment's");
    }
    if (value.length > SLOT && index != 0) {
      throw new IllegalArgumentException("a value of " + value.length + " bytes does not fit slot " + index);
    }
    if (value.length > MAX_VALUE) {
      throw new IllegalArgumentException("a value of " + value.length + " bytes is larger than any block's");
    }
    Layout l = layout;
    int head = l.head(index, value.length);
    onChannel(id, true, ch -> {
      writeFully(ch, ByteBuffer.wrap(value, 0, head), l.position(index));
      if (head < value.length) {
        writeFully(ch, ByteBuffer.wrap(value, head, value.length - head), Layout.tailPosition(index));
      }
      if (sync) {
        ch.force(false);
      }
      return null;
    });
  }

  private static void writeFully(FileChannel ch, ByteBuffer b, long pos) throws IOException {
    while (b.hasRemaining()) {
      pos += ch.write(b, pos);
    }
  }

  /**
   * The stored value {@code entry} describes.
   *
   * @throws CorruptBlockException when the entry is malformed, the file or the bytes are missing,
   *     or the bytes do not match the entry's length and CRC32C
   * @throws IOException when the file cannot be read for another reason
   */
  byte[] read(SegmentId id, int index, byte[] entry) throws IOException {
    if (entry.length != ENTRY_LENGTH) {
      throw corrupt(id, index, "its entry is " + entry.length + " bytes, not " + ENTRY_LENGTH);
    }
    ByteBuffer e = ByteBuffer.wrap(entry);
    int crc = e.getInt();
    int length = e.getInt();
    if (length <= 0 || length > MAX_VALUE || (length > SLOT && index != 0)) {
      throw corrupt(id, index, "its entry claims " + length + " bytes");
    }
    if (index < 0 || index >= MAX_BLOCKS) {
      throw corrupt(id, index, "no segment has a block " + index);
    }
    return onChannel(id, false, ch -> {
      if (ch == null) {
        throw corrupt(id, index, "its value file " + file(id) + " is missing");
      }
      Layout l = layout;
      int head = l.head(index, length);
      byte[] value = new byte[length];
      readFully(ch, ByteBuffer.wrap(value, 0, head), l.position(index), id, index);
      if (head < length) {
        readFully(ch, ByteBuffer.wrap(value, head, length - head), Layout.tailPosition(index), id, index);
      }
      CRC32C c = new CRC32C();
      c.update(value, 0, value.length);
      if ((int) c.getValue() != crc) {
        throw corrupt(id, index, "its bytes do not match their CRC32C");
      }
      return value;
    });
  }

  private static void readFully(FileChannel ch, ByteBuffer b, long pos, SegmentId id, int index) throws IOException {
    while (b.hasRemaining()) {
      int n = ch.read(b, pos);
      if (n < 0) {
        throw corrupt(id, index, "the value file ends " + b.remaining() + " bytes short of it");
      }
      pos += n;
    }
  }

  /** What runs on a segment's channel (null: no file, and none was to be created). */
  private interface ChannelOp<T> {
    T run(FileChannel channel) throws IOException;
  }

  /**
   * Runs {@code op} on the segment's channel, not interruptibly (class docs): the interrupt
   * status is set aside and restored, and a channel closed under the operation is replaced and
   * the operation run once more.
   */
  private <T> T onChannel(SegmentId id, boolean create, ChannelOp<T> op) throws IOException {
    boolean interrupted = Thread.interrupted();
    try {
      for (int attempt = 0; ; attempt++) {
        Handle h = acquire(id, create);
        try {
          return op.run(h == null ? null : h.channel);
        } catch (ClosedChannelException e) {
          interrupted |= Thread.interrupted();
          if (attempt > 0 || isClosed()) {
            throw e;
          }
        } finally {
          release(h);
        }
      }
    } finally {
      if (interrupted) {
        Thread.currentThread().interrupt();
      }
    }
  }

  private synchronized boolean isClosed() {
    return closed;
  }

  /** Deletes a segment's file (after its entries are gone); a later write creates a new one. */
  synchronized void delete(SegmentId id) throws IOException {
    // Under the lock: no read can cache a channel to the file being unlinked, which a later
    // write of the same segment (put again) would otherwise write into, lost.
    Handle h = open.remove(id);
    if (h != null) {
      retire(h);
    }
    Files.deleteIfExists(file(id));
  }

  /**
   * Deletes every value file whose segment {@code keep} rejects, and any file whose name is not a
   * segment id; returns how many. For opening: a kill between removing a segment's entries and
   * its file leaves the file behind.
   */
  synchronized int deleteOrphans(Predicate<SegmentId> keep) throws IOException {
    if (!Files.isDirectory(root)) {
      return 0;
    }
    int deleted = 0;
    try (DirectoryStream<Path> dirs = Files.newDirectoryStream(root)) {
      for (Path d : dirs) {
        if (!Files.isDirectory(d)) {
          Files.deleteIfExists(d);
          deleted++;
          continue;
        }
        List<Path> files = new ArrayList<>();
        try (DirectoryStream<Path> in = Files.newDirectoryStream(d)) {
          in.forEach(files::add);
        }
        for (Path f : files) {
          SegmentId id = idOf(f.getFileName().toString());
          if (id == null || !keep.test(id)) {
            if (id != null) {
              Handle h = open.remove(id);
              if (h != null) {
                retire(h);
              }
            }
            Files.deleteIfExists(f);
            deleted++;
          }
        }
      }
    }
    return deleted;
  }

  private static SegmentId idOf(String name) {
    try {
      return SegmentId.fromHex(name);
    } catch (IllegalArgumentException e) {
      return null;
    }
  }

  /** Closes every channel (those in use when their last user is done). */
  @Override
  public synchronized void close() {
    closed = true;
    for (Handle h : open.values()) {
      retire(h);
    }
    open.clear();
  }

  /** Channels open now (tests). */
  synchronized int openChannels() {
    return open.size();
  }

  // ---------------------------------------------------------------- channels

  /** A channel to the segment's file, counted as in use; null when absent and not {@code create}. */
  private synchronized Handle acquire(SegmentId id, boolean create) throws IOException {
    if (closed) {
      throw new ClosedChannelException();
    }
    Handle h = open.get(id);
    if (h != null && !h.channel.isOpen()) {
      // Closed by another thread's interrupt: replace it.
      open.remove(id);
      retire(h);
      h = null;
    }
    if (h == null) {
      Path f = file(id);
      FileChannel ch;
      if (create) {
        boolean isNew = !Files.exists(f);
        if (isNew) {
          createDirectory(f.getParent());
        }
        ch = FileChannel.open(f, Set.of(StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE),
            ownerOnly(false));
        if (isNew && durable) {
          syncDirectory(f.getParent());
        }
      } else {
        try {
          ch = FileChannel.open(f, StandardOpenOption.READ, StandardOpenOption.WRITE);
        } catch (NoSuchFileException e) {
          return null;
        }
      }
      h = new Handle(ch);
      open.put(id, h);
      evictBeyond(maxOpen);
    }
    h.users++;
    return h;
  }

  private synchronized void release(Handle h) {
    if (h == null) {
      return;
    }
    h.users--;
    if (h.retired && h.users == 0) {
      closeQuietly(h.channel);
    }
  }

  private void evictBeyond(int limit) {
    Iterator<Map.Entry<SegmentId, Handle>> it = open.entrySet().iterator();
    while (open.size() > limit && it.hasNext()) {
      Handle h = it.next().getValue();
      it.remove();
      retire(h);
    }
  }

  private static void retire(Handle h) {
    h.retired = true;
    if (h.users == 0) {
      closeQuietly(h.channel);
    }
  }

  private static void closeQuietly(FileChannel ch) {
    try {
      ch.close();
    } catch (IOException e) {
      // Nothing was written through a close; the data is in the page cache already.
    }
  }

  private void createDirectory(Path dir) throws IOException {
    if (Files.isDirectory(dir)) {
      return;
    }
    boolean newRoot = !Files.isDirectory(root);
    Files.createDirectories(dir, ownerOnly(true));
    if (durable) {
      if (newRoot) {
        syncDirectory(root.getParent());
      }
      syncDirectory(root);
    }
  }

  private static void syncDirectory(Path dir) throws IOException {
    try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
      d.force(true);
    }
  }

  private static FileAttribute<?>[] ownerOnly(boolean directory) {
    try {
      return new FileAttribute<?>[] {PosixFilePermissions.asFileAttribute(directory ? OWNER_DIR : OWNER_FILE)};
    } catch (UnsupportedOperationException e) {
      return new FileAttribute<?>[0];
    }
  }

  private static CorruptBlockException corrupt(SegmentId id, int index, String why) {
    return new CorruptBlockException("block " + index + " of segment " + id + " is damaged: " + why, null);
  }
}
