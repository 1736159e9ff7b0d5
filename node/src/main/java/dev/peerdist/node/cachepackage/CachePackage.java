package dev.peerdist.node.cachepackage;

import dev.peerdist.chunkstore.content.ContentInformation;
import dev.peerdist.chunkstore.content.ContentInformationCodec;
import dev.peerdist.chunkstore.content.ContentVersion;
import dev.peerdist.chunkstore.content.HashAlgorithm;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.util.Arrays;

/**
 * The offline cache package format (peerdist's answer to BranchCache's {@code
 * Export-BCCachePackage} / {@code Import-BCCachePackage}, docs/SITES.md): the V1 content
 * information a publisher hands out for some files, with every block of those files, so that a
 * cache server can be filled without WAN traffic. Pure: streams in, values out; no store, no files.
 *
 * <p>Layout, all integers big-endian:
 *
 * <pre>
 * header:  magic "PDCACHE\n" (8) | u16 version = 1 | u16 flags = 0 | u32 entries (1..MAX_ENTRIES)
 * entry:   u16 path length (0..MAX_PATH) | path (UTF-8, informational: where the file was)
 *          u32 content-information length (1..MAX_CONTENT_INFORMATION) | V1 content information
 *          (PROTOCOL.md §2.3, little-endian inside, exactly the bytes the publisher serves)
 *          then, segment by segment and block by block in order, u32 length | the block's plaintext;
 *          the length must equal the block's length in the content information
 * trailer: magic "PDCEND\r\n" (8) | u64 total block bytes | SHA-256 of every byte before it (32)
 * </pre>
 *
 * <p>The digest catches damage the block hashes cannot: a changed segment secret or path still
 * forms a consistent package. An import that finds a bad digest at the end undoes itself.
 *
 * <p>Blocks are kept as plaintext, not in the chunk store's at-rest form: the importer hands each
 * to the store, which checks it against its block hash before keeping it (a damaged or forged
 * package stores nothing wrong). The package is as confidential as the files themselves; it also
 * carries the segment secrets (in the content information), as the publisher's answers do.
 */
public final class CachePackage {
  /** First eight bytes of every package. */
  static final byte[] MAGIC = "PDCACHE\n".getBytes(StandardCharsets.US_ASCII);
  /** Last magic, before the byte total. */
  static final byte[] END = "PDCEND\r\n".getBytes(StandardCharsets.US_ASCII);
  /** The only version this code writes and reads. */
  public static final int VERSION = 1;
  /** Most files in one package. */
  public static final int MAX_ENTRIES = 1_000_000;
  /** Longest path. */
  public static final int MAX_PATH = 4096;
  /** Largest content information (a 10 GiB file's V1 information is about 5.4 MB). */
  public static final int MAX_CONTENT_INFORMATION = 64 << 20;
  /** Largest V1 block (PROTOCOL.md §2.2). */
  public static final int MAX_BLOCK = 64 * 1024;

  /** Length of the trailing SHA-256. */
  static final int DIGEST_LENGTH = 32;

  private CachePackage() {}

  /** A package that cannot be read: the message says where and why. */
  public static final class FormatException extends IOException {
    private static final long serialVersionUID = 1L;

    public FormatException(String message) {
      super(message);
    }
  }

  /** One file's description in a package. */
  public record Entry(String path, byte[] contentInformationBytes, ContentInformation info) {}

  /** Writes a package: {@link #entry}, then {@link #block} for every block of it in order, then {@link #finish}. */
  public static final class Writer {
    private final DataOutputStream out;
    private final DigestOutputStream digest;
    private final int entries;
    private int written;
    private long totalBytes;
    private ContentInformation current;
    private int segment;
    private int block;

    /** Writes the header for {@code entries} files. */
    public Writer(OutputStream out, int entries) throws IOException {
      if (entries < 1 || entries > MAX_ENTRIES) {
        throw new IllegalArgumentException("a package holds 1.." + MAX_ENTRIES + " files, not " + entries);
      }
      this.digest = new DigestOutputStream(out, HashAlgorithm.SHA_256.newDigest());
      this.out = new DataOutputStream(digest);
      this.entries = entries;
      this.out.write(MAGIC);
      this.out.writeShort(VERSION);
      this.out.writeShort(0);
      this.out.writeInt(entries);
    }

    /** Starts a file: its path (informational) and the V1 content information the publisher serves for it. */
    public void entry(String path, byte[] contentInformation, ContentInformation info) throws IOException {
      if (current != null && segment < current.segmentCount()) {
        throw new IllegalStateException("the previous file's blocks are not all written");
      }
      if (written == entries) {
        throw new IllegalStateException("all " + entries + " files are written");
      }
      if (info.version() != ContentVersion.V1) {
        throw new IllegalArgumentException("packages carry V1 content information");
      }
      byte[] p = path.getBytes(StandardCharsets.UTF_8);
      if (p.length > MAX_PATH || contentInformation.length < 1 || contentInformation.length > MAX_CONTENT_INFORMATION) {
        throw new IllegalArgumentException("path or content information too long");
      }
      out.writeShort(p.length);
      out.write(p);
      out.writeInt(contentInformation.length);
      out.write(contentInformation);
      written++;
      current = info;
      segment = 0;
      block = 0;
      skipEmpty();
    }

    /** The next block's length in the current file (what {@link #block} expects), or -1 when none is left. */
    public int nextBlockLength() {
      if (current == null || segment >= current.segmentCount()) {
        return -1;
      }
      return (int) current.blockRange(segment, block).length();
    }

    /** Writes the next block of the current file. */
    public void block(byte[] data, int length) throws IOException {
      if (length != nextBlockLength()) {
        throw new IllegalArgumentException("block " + block + " of segment " + segment + " is "
            + nextBlockLength() + " bytes, not " + length);
      }
      out.writeInt(length);
      out.write(data, 0, length);
      totalBytes += length;
      block++;
      skipEmpty();
    }

    private void skipEmpty() {
      while (segment < current.segmentCount() && block >= current.blockCount(segment)) {
        segment++;
        block = 0;
      }
    }

    /** Writes the trailer and flushes. */
    public void finish() throws IOException {
      if (written != entries || nextBlockLength() != -1) {
        throw new IllegalStateException("the package is not complete");
      }
      out.write(END);
      out.writeLong(totalBytes);
      out.flush();
      digest.on(false);
      out.write(digest.getMessageDigest().digest());
      out.flush();
    }

    /** Block bytes written so far. */
    public long totalBytes() {
      return totalBytes;
    }
  }

  /**
   * Reads a package defensively: every length is checked against its bound and against the
   * content information before anything is allocated, the version and both magics must match, and
   * the byte total at the end must agree. Use {@link #nextEntry}, then {@link #nextBlock} until it
   * returns null, then the next entry; {@link #finish} at the end.
   */
  public static final class Reader {
    private final DataInputStream in;
    private final MessageDigest digest = HashAlgorithm.SHA_256.newDigest();
    private final ContentInformationCodec codec;
    private final int entries;
    private int read;
    private long totalBytes;
    private ContentInformation current;
    private int segment;
    private int block;

    /** Reads and checks the header. */
    public Reader(InputStream in) throws IOException {
      this.in = new DataInputStream(in);
      this.codec = new ContentInformationCodec(MAX_CONTENT_INFORMATION);
      byte[] magic = readFully(MAGIC.length, "magic");
      if (!Arrays.equals(magic, MAGIC)) {
        throw new FormatException("not a peerdist cache package (bad magic)");
      }
      int version = readU16("version");
      if (version != VERSION) {
        throw new FormatException("package version " + version + " is not supported (this peerdist reads " + VERSION + ")");
      }
      int flags = readU16("flags");
      if (flags != 0) {
        throw new FormatException("unknown package flags 0x" + Integer.toHexString(flags));
      }
      long n = readU32("entry count");
      if (n < 1 || n > MAX_ENTRIES) {
        throw new FormatException("entry count " + n + " is outside 1.." + MAX_ENTRIES);
      }
      this.entries = (int) n;
    }

    /** Files the header announces. */
    public int entries() {
      return entries;
    }

    /** The next file, or null after the last one. */
    public Entry nextEntry() throws IOException {
      if (current != null && segment < current.segmentCount()) {
        throw new IllegalStateException("the previous file's blocks are not all read");
      }
      if (read == entries) {
        return null;
      }
      String where = "entry " + (read + 1);
      int pathLength = readU16(where + " path length");
      if (pathLength > MAX_PATH) {
        throw new FormatException(where + ": path length " + pathLength + " exceeds " + MAX_PATH);
      }
      String path = new String(readFully(pathLength, where + " path"), StandardCharsets.UTF_8);
      long ciLength = readU32(where + " content-information length");
      if (ciLength < 1 || ciLength > MAX_CONTENT_INFORMATION) {
        throw new FormatException(where + ": content-information length " + ciLength + " is outside 1.."
            + MAX_CONTENT_INFORMATION);
      }
      byte[] ci = readFully((int) ciLength, where + " content information");
      ContentInformation info;
      try {
        info = codec.decode(ci);
      } catch (RuntimeException e) {
        throw new FormatException(where + " (" + path + "): bad content information: " + e.getMessage());
      }
      if (info.version() != ContentVersion.V1 || info.offsetInFirstSegment() != 0 || info.segmentCount() < 1) {
        throw new FormatException(where + " (" + path + "): not the V1 content information of a whole file");
      }
      read++;
      current = info;
      segment = 0;
      block = 0;
      skipEmpty();
      return new Entry(path, ci, info);
    }

    /** Segment index of the block {@link #nextBlock} returns next. */
    public int segment() {
      return segment;
    }

    /** Block index (within its segment) of the block {@link #nextBlock} returns next. */
    public int block() {
      return block;
    }

    /** The next block of the current file, or null when the file has no more. */
    public byte[] nextBlock() throws IOException {
      if (current == null || segment >= current.segmentCount()) {
        return null;
      }
      long expected = current.blockRange(segment, block).length();
      String where = "segment " + segment + " block " + block;
      long length = readU32(where + " length");
      if (length != expected || length > MAX_BLOCK) {
        throw new FormatException(where + ": length " + length + ", the content information says " + expected);
      }
      byte[] data = readFully((int) length, where);
      totalBytes += length;
      block++;
      skipEmpty();
      return data;
    }

    private void skipEmpty() {
      while (segment < current.segmentCount() && block >= current.blockCount(segment)) {
        segment++;
        block = 0;
      }
    }

    /** Checks the trailer after the last entry. */
    public void finish() throws IOException {
      if (read != entries || (current != null && segment < current.segmentCount())) {
        throw new IllegalStateException("the package is not read to its end");
      }
      if (!Arrays.equals(readFully(END.length, "trailer"), END)) {
        throw new FormatException("bad trailer: the package is damaged or has more files than announced");
      }
      byte[] t = readFully(8, "trailer");
      long total = java.nio.ByteBuffer.wrap(t).getLong();
      if (total != totalBytes) {
        throw new FormatException("trailer says " + total + " block bytes, the package held " + totalBytes);
      }
      byte[] expected = digest.digest();
      byte[] actual = readFully(DIGEST_LENGTH, "digest");
      if (!MessageDigest.isEqual(expected, actual)) {
        throw new FormatException("the package's SHA-256 does not match: it is damaged");
      }
      if (in.read() != -1) {
        throw new FormatException("bytes after the trailer");
      }
    }

    private byte[] readFully(int n, String what) throws IOException {
      byte[] b = new byte[n];
      try {
        in.readFully(b);
      } catch (EOFException e) {
        throw new FormatException("truncated package: it ends inside the " + what);
      }
      digest.update(b);
      return b;
    }

    private int readU16(String what) throws IOException {
      byte[] b = readFully(2, what);
      return ((b[0] & 0xff) << 8) | (b[1] & 0xff);
    }

    private long readU32(String what) throws IOException {
      byte[] b = readFully(4, what);
      return ((long) (b[0] & 0xff) << 24) | ((b[1] & 0xff) << 16) | ((b[2] & 0xff) << 8) | (b[3] & 0xff);
    }
  }
}
