package dev.peerdist.chunkstore.content;

import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.ReadableByteChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.FutureTask;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Makes {@link ContentInformation} from content (PROTOCOL.md §2.1–§2.4).
 *
 * <p>V1: 32 MiB segments of 64 KiB blocks, SHA-256/384/512. V2: content-defined segments of at
 * most 128 KiB cut by {@link FastCdcChunker}, truncated SHA-512.
 *
 * <p><b>Streaming and parallel.</b> The calling thread reads the content in windows (default
 * {@value #DEFAULT_WINDOW_BYTES} bytes) into a fixed pool of buffers and hands each window to a
 * hashing task (V1: the 64 KiB blocks in it; V2: the segments the caller cut in it) that gives the
 * buffer back. {@code threads} threads hash in all: {@code threads - 1} workers and the calling
 * thread itself, which runs the oldest task no worker has started whenever it would otherwise
 * wait (for a free buffer, or for the results) — so two threads on two cores keep both busy
 * instead of three threads (a reader and two hashers) sharing them. The pool holds
 * {@code threads + 2} buffers, or one when everything runs on the calling thread
 * ({@code threads == 1}); heap use is therefore at most about
 * {@code (threads + 2) × (window + 128 KiB)} plus one block hash per 64 KiB of content (V1) or 68
 * bytes per segment (V2), whatever the content size. Each hashing thread keeps one
 * {@link MessageDigest}. Files are read with positional {@link FileChannel} reads; any
 * {@link ReadableByteChannel} or {@link InputStream} works as well.
 *
 * <p>A generator is immutable and may be shared; each call uses its own buffers and, unless an
 * executor was given, its own named worker threads ({@code pccrc-hash-N}) that end with the call.
 */
public final class ContentInformationGenerator {
  /** Default read window. */
  public static final int DEFAULT_WINDOW_BYTES = 4 * 1024 * 1024;

  /** Receives progress from the reading thread after each window. */
  @FunctionalInterface
  public interface Progress {
    /**
     * Called after each window has been read.
     *
     * @param bytesRead content bytes read so far
     * @param totalBytes content size when known, else -1
     */
    void update(long bytesRead, long totalBytes);
  }

  private final HashAlgorithm algorithm;
  private final byte[] serverSecret;
  private final int threads;
  private final int windowBytes;
  private final Executor executor;
  private final Progress progress;

  private ContentInformationGenerator(Builder b) {
    this.algorithm = b.algorithm;
    this.serverSecret = b.secret.serverSecret(b.algorithm);
    this.threads = b.threads;
    this.windowBytes = b.windowBytes;
    this.executor = b.executor;
    this.progress = b.progress;
  }

  /** A builder; the server secret is required. */
  public static Builder builder(ServerSecret secret) {
    return new Builder(secret);
  }

  public HashAlgorithm hashAlgorithm() {
    return algorithm;
  }

  /** Content information for a whole file. */
  public ContentInformation generate(Path file) throws IOException {
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
      return run(new FileSource(ch));
    }
  }

  /**
   * Content information for the segments of {@code file} that intersect {@code range}, with the
   * range fields set as for a range response (see {@link ContentInformation#forRange}).
   *
   * @throws IllegalArgumentException when the range is empty or runs past the end of the file
   */
  public ContentInformation generate(Path file, ByteRange range) throws IOException {
    return generate(file).forRange(range);
  }

  /** Content information for everything {@code in} yields (it is not closed). */
  public ContentInformation generate(InputStream in) throws IOException {
    return run(new StreamSource(in));
  }

  /** Content information for everything {@code channel} yields from its position (not closed). */
  public ContentInformation generate(ReadableByteChannel channel) throws IOException {
    return run(new ChannelSource(channel));
  }

  /** Content information for bytes in memory. */
  public ContentInformation generate(byte[] content) {
    try {
      return run(new ArraySource(content));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private ContentInformation run(Source source) throws IOException {
    ExecutorService own = null;
    Executor exec = executor;
    if (exec == null) {
      if (threads == 1) {
        exec = null; // Tasks run on the calling thread as they are submitted.
      } else {
        // The calling thread is the last of the hashing threads (Tasks).
        own = Executors.newFixedThreadPool(threads - 1, new HashThreads());
        exec = own;
      }
    }
    try {
      if (source instanceof ArraySource a) {
        return algorithm.version() == ContentVersion.V1
            ? runV1InMemory(a.content, new Tasks<>(exec))
            : runV2InMemory(a.content, new Tasks<>(exec));
      }
      return algorithm.version() == ContentVersion.V1
          ? runV1(source, new Tasks<>(exec))
          : runV2(source, new Tasks<>(exec));
    } finally {
      if (own != null) {
        own.shutdownNow();
      }
    }
  }

  /** Named worker threads, daemon so that an abandoned generation never keeps a JVM alive. */
  private static final class HashThreads implements ThreadFactory {
    private static final AtomicInteger NEXT = new AtomicInteger();

    @Override
    public Thread newThread(Runnable r) {
      Thread t = new Thread(r, "pccrc-hash-" + NEXT.incrementAndGet());
      t.setDaemon(true);
      return t;
    }
  }

  private BlockingQueue<byte[]> buffers(long knownSize, int extra, boolean direct) {
    // Direct: each task has hashed its window and given the buffer back before the next read.
    int count = direct ? 1 : threads + 2;
    int size = windowBytes + extra;
    if (knownSize >= 0 && knownSize + extra < size) {
      count = 1; // Small content: one buffer holds it all.
      size = (int) knownSize + extra;
    }
    BlockingQueue<byte[]> q = new ArrayBlockingQueue<>(count);
    for (int i = 0; i < count; i++) {
      q.add(new byte[Math.max(size, 1)]);
    }
    return q;
  }

  private static byte[] take(BlockingQueue<byte[]> q) throws InterruptedIOException {
    try {
      return q.take();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("content-information generation interrupted");
    }
  }

  /**
   * The hashing tasks of one call, in submission order. Without an executor each task runs as it
   * is submitted. With one, the calling thread is a hashing thread too: whenever it would wait it
   * runs the oldest task no worker has started ({@link FutureTask#run} does nothing for a task
   * another thread has started or finished, so each task runs once).
   */
  private static final class Tasks<T> {
    private final Executor exec;
    private final List<FutureTask<T>> submitted = new ArrayList<>();
    private int nextToHelp;

    Tasks(Executor exec) {
      this.exec = exec;
    }

    boolean direct() {
      return exec == null;
    }

    void submit(Callable<T> task) {
      FutureTask<T> f = new FutureTask<>(task);
      submitted.add(f);
      if (exec == null) {
        f.run();
      } else {
        exec.execute(f);
      }
    }

    /** Runs the oldest task nobody has started; false when every task has been started. */
    private boolean helpOne() {
      while (nextToHelp < submitted.size()) {
        FutureTask<T> f = submitted.get(nextToHelp++);
        if (!f.isDone()) {
          f.run();
          return true;
        }
      }
      return false;
    }

    /** A free buffer from {@code pool}, hashing pending windows rather than waiting for one. */
    byte[] buffer(BlockingQueue<byte[]> pool) throws InterruptedIOException {
      byte[] b;
      while ((b = pool.poll()) == null) {
        if (!helpOne()) {
          return take(pool);
        }
      }
      return b;
    }

    /** Every task's result in submission order, after running what no worker has started. */
    List<T> results() throws IOException {
      while (helpOne()) {
        // The calling thread hashes instead of waiting.
      }
      List<T> out = new ArrayList<>(submitted.size());
      for (FutureTask<T> f : submitted) {
        out.add(await(f));
      }
      return out;
    }

    void cancel() {
      for (FutureTask<T> f : submitted) {
        f.cancel(true);
      }
    }
  }

  private static <T> T await(FutureTask<T> f) throws IOException {
    try {
      return f.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("content-information generation interrupted");
    } catch (ExecutionException e) {
      Throwable c = e.getCause();
      if (c instanceof RuntimeException r) {
        throw r;
      }
      if (c instanceof Error err) {
        throw err;
      }
      throw new IOException("hashing failed", c);
    }
  }

  // ---------------------------------------------------------------- V1

  private ContentInformation runV1(Source source, Tasks<byte[][]> tasks) throws IOException {
    BlockingQueue<byte[]> pool = buffers(source.size(), 0, tasks.direct());
    ThreadLocal<MessageDigest> digests = ThreadLocal.withInitial(algorithm::newDigest);
    long total = 0;
    boolean ok = false;
    try {
      while (true) {
        byte[] buf = tasks.buffer(pool);
        // Windows are multiples of 64 KiB, so every block lies inside one window (PROTOCOL.md §2.1).
        int window = buf.length - buf.length % SegmentDescription.V1_BLOCK_SIZE;
        int n = source.readFully(buf, 0, window == 0 ? buf.length : window);
        if (n <= 0) {
          pool.add(buf);
          break;
        }
        tasks.submit(() -> {
          try {
            return hashBlocks(digests.get(), buf, 0, n);
          } finally {
            pool.add(buf);
          }
        });
        total += n;
        if (progress != null) {
          progress.update(total, source.size());
        }
        if (n < window) {
          break;
        }
      }
      if (total == 0) {
        throw new IllegalArgumentException("content is empty: there is nothing to describe");
      }
      ok = true;
      return assembleV1(total, tasks.results());
    } finally {
      if (!ok) {
        tasks.cancel();
      }
    }
  }

  /** Segments from the block hashes of consecutive windows (PROTOCOL.md §2.2). */
  private ContentInformation assembleV1(long total, List<byte[][]> windows) {
    List<byte[]> blockHashes = new ArrayList<>((int) Math.min(Integer.MAX_VALUE, total / SegmentDescription.V1_BLOCK_SIZE + 1));
    for (byte[][] hashes : windows) {
      blockHashes.addAll(Arrays.asList(hashes));
    }
    int perSegment = SegmentDescription.V1_SEGMENT_SIZE / SegmentDescription.V1_BLOCK_SIZE;
    List<SegmentDescription> segments = new ArrayList<>();
    for (long offset = 0; offset < total; offset += SegmentDescription.V1_SEGMENT_SIZE) {
      int length = (int) Math.min(SegmentDescription.V1_SEGMENT_SIZE, total - offset);
      int first = (int) (offset / SegmentDescription.V1_BLOCK_SIZE);
      List<byte[]> hashes = blockHashes.subList(first, first + SegmentDescription.blockCountOf(length));
      // PROTOCOL.md §2.2: HoD over all block hashes, Kp = HMAC(Ks, HoD).
      byte[] hod = PccrcKeys.v1HashOfData(algorithm, hashes);
      byte[] kp = PccrcKeys.segmentSecret(algorithm, serverSecret, hod);
      segments.add(SegmentDescription.trusted(algorithm, offset, length, hod, kp, new ArrayList<>(hashes)));
      assert hashes.size() <= perSegment;
    }
    // Full-content form as IIS writes it: both range fields 0 (TEST-VECTORS.md TV-2a).
    return ContentInformation.v1(algorithm, 0, 0, segments);
  }

  // ---------------------------------------------------------------- V2

  /** A segment cut in a window: where it starts in the buffer and how long it is. */
  private record Cut(int start, int length) {}

  private ContentInformation runV2(Source source, Tasks<byte[][]> tasks) throws IOException {
    final int carryRoom = FastCdcChunker.MAX_SIZE;
    BlockingQueue<byte[]> pool = buffers(source.size(), carryRoom, tasks.direct());
    ThreadLocal<MessageDigest> digests = ThreadLocal.withInitial(algorithm::newDigest);
    List<Integer> lengths = new ArrayList<>();
    long total = 0;
    boolean ok = false;
    try {
      byte[] buf = tasks.buffer(pool);
      int carry = 0;
      while (true) {
        int room = buf.length - carryRoom > 0 ? buf.length - carryRoom : buf.length - carry;
        int read = source.readFully(buf, carry, room);
        total += read;
        if (progress != null && read > 0) {
          progress.update(total, source.size());
        }
        boolean eof = read < room;
        int n = carry + read;
        List<Cut> cuts = new ArrayList<>();
        int s = 0;
        while (s < n) {
          int len = FastCdcChunker.nextCut(buf, s, n, eof);
          if (len < 0) {
            break;
          }
          cuts.add(new Cut(s, len));
          lengths.add(len);
          s += len;
        }
        byte[] full = buf;
        tasks.submit(() -> {
          try {
            return hashSegments(digests.get(), full, cuts);
          } finally {
            pool.add(full);
          }
        });
        if (eof) {
          break;
        }
        // The unfinished segment (shorter than 128 KiB) starts the next window. Only this thread
        // fills buffers, so full[s, n) stays as read even once its task has given full back; the
        // next buffer may be full itself (one buffer when tasks run here), and arraycopy moves
        // overlapping bytes correctly.
        buf = tasks.buffer(pool);
        System.arraycopy(full, s, buf, 0, n - s);
        carry = n - s;
      }
      if (total == 0) {
        throw new IllegalArgumentException("content is empty: there is nothing to describe");
      }
      ok = true;
      return assembleV2(lengths, tasks.results());
    } finally {
      if (!ok) {
        tasks.cancel();
      }
    }
  }

  /** Segments from the cut lengths and the {HoD, Kp} pairs of consecutive tasks. */
  private ContentInformation assembleV2(List<Integer> lengths, List<byte[][]> hashed) {
    List<SegmentDescription> segments = new ArrayList<>(lengths.size());
    long offset = 0;
    int index = 0;
    for (byte[][] out : hashed) {
      for (int i = 0; i < out.length; i += 2) {
        int len = lengths.get(index++);
        segments.add(SegmentDescription.trusted(algorithm, offset, len, out[i], out[i + 1], List.of()));
        offset += len;
      }
    }
    // Full-content form as IIS writes it: ullLengthOfRange 0 (TEST-VECTORS.md TV-2b).
    return ContentInformation.v2(0, 0, 0, segments);
  }

  /** SHA of each 64 KiB block of {@code data[offset, offset+length)} (PROTOCOL.md §2.2 V1 BlockHash). */
  private byte[][] hashBlocks(MessageDigest d, byte[] data, int offset, int length) {
    final int blockSize = SegmentDescription.V1_BLOCK_SIZE;
    byte[][] hashes = new byte[(length + blockSize - 1) / blockSize][];
    for (int b = 0; b < hashes.length; b++) {
      d.update(data, offset + b * blockSize, Math.min(blockSize, length - b * blockSize));
      hashes[b] = algorithm.finish(d);
    }
    return hashes;
  }

  /** HoD and Kp of each cut: pairs {HoD, Kp} in cut order. */
  private byte[][] hashSegments(MessageDigest d, byte[] data, List<Cut> cuts) {
    byte[][] out = new byte[cuts.size() * 2][];
    for (int i = 0; i < cuts.size(); i++) {
      Cut c = cuts.get(i);
      // PROTOCOL.md §2.2 V2: HoD = SHA-512(segment)[0:32], Kp = HMAC-SHA-512(Ks, HoD)[0:32].
      d.update(data, c.start(), c.length());
      byte[] hod = algorithm.finish(d);
      out[2 * i] = hod;
      out[2 * i + 1] = PccrcKeys.segmentSecret(algorithm, serverSecret, hod);
    }
    return out;
  }

  /** V1 over bytes already in memory: tasks hash slices of the array itself, nothing is copied. */
  private ContentInformation runV1InMemory(byte[] content, Tasks<byte[][]> tasks) throws IOException {
    if (content.length == 0) {
      throw new IllegalArgumentException("content is empty: there is nothing to describe");
    }
    ThreadLocal<MessageDigest> digests = ThreadLocal.withInitial(algorithm::newDigest);
    boolean ok = false;
    try {
      for (int off = 0; off < content.length; off += windowBytes) {
        int start = off;
        int n = Math.min(windowBytes, content.length - off);
        tasks.submit(() -> hashBlocks(digests.get(), content, start, n));
      }
      ContentInformation info = assembleV1(content.length, tasks.results());
      if (progress != null) {
        progress.update(content.length, content.length);
      }
      ok = true;
      return info;
    } finally {
      if (!ok) {
        tasks.cancel();
      }
    }
  }

  /**
   * V2 over bytes already in memory: the calling thread cuts, tasks hash groups of about one
   * window of segments straight from the array; once everything is cut the calling thread hashes
   * too.
   */
  private ContentInformation runV2InMemory(byte[] content, Tasks<byte[][]> tasks) throws IOException {
    if (content.length == 0) {
      throw new IllegalArgumentException("content is empty: there is nothing to describe");
    }
    ThreadLocal<MessageDigest> digests = ThreadLocal.withInitial(algorithm::newDigest);
    List<Integer> lengths = new ArrayList<>();
    boolean ok = false;
    try {
      List<Cut> group = new ArrayList<>();
      int groupBytes = 0;
      int s = 0;
      while (s < content.length) {
        int len = FastCdcChunker.nextCut(content, s, content.length, true);
        group.add(new Cut(s, len));
        lengths.add(len);
        groupBytes += len;
        s += len;
        if (groupBytes >= windowBytes || s == content.length) {
          List<Cut> cuts = group;
          tasks.submit(() -> hashSegments(digests.get(), content, cuts));
          group = new ArrayList<>();
          groupBytes = 0;
        }
      }
      ContentInformation info = assembleV2(lengths, tasks.results());
      if (progress != null) {
        progress.update(content.length, content.length);
      }
      ok = true;
      return info;
    } finally {
      if (!ok) {
        tasks.cancel();
      }
    }
  }

  // ---------------------------------------------------------------- sources

  /** Where content comes from; {@link #readFully} returns less than asked only at the end. */
  private interface Source {
    int readFully(byte[] dst, int offset, int length) throws IOException;

    long size();
  }

  private static final class FileSource implements Source {
    private final FileChannel channel;
    private final long size;
    private long position;

    FileSource(FileChannel channel) throws IOException {
      this.channel = channel;
      this.size = channel.size();
    }

    @Override
    public int readFully(byte[] dst, int offset, int length) throws IOException {
      ByteBuffer b = ByteBuffer.wrap(dst, offset, length);
      while (b.hasRemaining()) {
        int r = channel.read(b, position);
        if (r < 0) {
          break;
        }
        position += r;
      }
      return length - b.remaining();
    }

    @Override
    public long size() {
      return size;
    }
  }

  private static final class ChannelSource implements Source {
    private final ReadableByteChannel channel;

    ChannelSource(ReadableByteChannel channel) {
      this.channel = channel;
    }

    @Override
    public int readFully(byte[] dst, int offset, int length) throws IOException {
      ByteBuffer b = ByteBuffer.wrap(dst, offset, length);
      while (b.hasRemaining() && channel.read(b) >= 0) {
        // A non-blocking channel could spin here; content channels are blocking.
      }
      return length - b.remaining();
    }

    @Override
    public long size() {
      return -1;
    }
  }

  private static final class StreamSource implements Source {
    private final InputStream in;

    StreamSource(InputStream in) {
      this.in = in;
    }

    @Override
    public int readFully(byte[] dst, int offset, int length) throws IOException {
      return in.readNBytes(dst, offset, length);
    }

    @Override
    public long size() {
      return -1;
    }
  }

  private static final class ArraySource implements Source {
    private final byte[] content;
    private int position;

    ArraySource(byte[] content) {
      this.content = content;
    }

    @Override
    public int readFully(byte[] dst, int offset, int length) {
      int n = Math.min(length, content.length - position);
      System.arraycopy(content, position, dst, offset, n);
      position += n;
      return n;
    }

    @Override
    public long size() {
      return content.length;
    }
  }

  /**
   * Settings for a {@link ContentInformationGenerator}.
   *
   * <table>
   *   <caption>Defaults</caption>
   *   <tr><th>Setting</th><th>Default</th><th>Range</th></tr>
   *   <tr><td>hash algorithm</td><td>SHA-256 (V1)</td><td>SHA-256/384/512 (V1), truncated SHA-512 (V2)</td></tr>
   *   <tr><td>threads</td><td>available processors</td><td>1..256</td></tr>
   *   <tr><td>window</td><td>4 MiB</td><td>256 KiB..256 MiB, multiple of 64 KiB</td></tr>
   *   <tr><td>executor</td><td>own pool of {@code threads - 1} per call</td><td>any; not shut down by the generator</td></tr>
   * </table>
   */
  public static final class Builder {
    private final ServerSecret secret;
    private HashAlgorithm algorithm = HashAlgorithm.SHA_256;
    private int threads = Runtime.getRuntime().availableProcessors();
    private int windowBytes = DEFAULT_WINDOW_BYTES;
    private Executor executor;
    private Progress progress;

    private Builder(ServerSecret secret) {
      this.secret = Objects.requireNonNull(secret, "server secret");
    }

    /** Content-information version; V2 selects truncated SHA-512, V1 keeps or selects SHA-256. */
    public Builder version(ContentVersion version) {
      if (version == ContentVersion.V2) {
        algorithm = HashAlgorithm.TRUNCATED_SHA_512;
      } else if (algorithm.version() != ContentVersion.V1) {
        algorithm = HashAlgorithm.SHA_256;
      }
      return this;
    }

    /** The hash algorithm (and with it the version). */
    public Builder hashAlgorithm(HashAlgorithm algorithm) {
      this.algorithm = Objects.requireNonNull(algorithm);
      return this;
    }

    /** Hashing threads, the calling thread included (1 = everything on the calling thread). */
    public Builder threads(int threads) {
      if (threads < 1 || threads > 256) {
        throw new IllegalArgumentException("threads " + threads + " outside 1..256");
      }
      this.threads = threads;
      return this;
    }

    /** Read window; also the unit of work handed to a worker. */
    public Builder windowBytes(int windowBytes) {
      if (windowBytes < 256 * 1024 || windowBytes > 256 * 1024 * 1024
          || windowBytes % SegmentDescription.V1_BLOCK_SIZE != 0) {
        throw new IllegalArgumentException(
            "window " + windowBytes + " must be a multiple of 64 KiB in 256 KiB..256 MiB");
      }
      this.windowBytes = windowBytes;
      return this;
    }

    /**
     * Runs hashing on {@code executor} (which should have about {@code threads - 1} threads: the
     * calling thread hashes too, and runs the tasks the executor has not started yet).
     */
    public Builder executor(Executor executor) {
      this.executor = executor;
      return this;
    }

    public Builder progress(Progress progress) {
      this.progress = progress;
      return this;
    }

    public ContentInformationGenerator build() {
      return new ContentInformationGenerator(this);
    }
  }
}
