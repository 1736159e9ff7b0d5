package dev.peerdist.node.publish;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import dev.peerdist.node.publish.RangeRequest.Partial;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class RangeRequestTest {
  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "bytes=0-99|1000|0|100",
        "bytes=100-|1000|100|1000",
        "bytes=-100|1000|900|1000",
        "bytes=-5000|1000|0|1000",
        "bytes=900-5000|1000|900|1000",
        "BYTES= 10 - 19 |1000|10|20",
        "bytes=999-999|1000|999|1000",
      })
  void singleRanges(String header, long length, long start, long end) {
    Partial p = assertInstanceOf(Partial.class, RangeRequest.parse(header, length));
    assertEquals(start, p.start());
    assertEquals(end, p.endExclusive());
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {"bytes=1000-|1000", "bytes=5000-6000|1000", "bytes=-0|1000", "bytes=0-|0"})
  void unsatisfiable(String header, long length) {
    assertInstanceOf(RangeRequest.Unsatisfiable.class, RangeRequest.parse(header, length));
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "bytes=0-1,5-9",
        "items=0-9",
        "bytes=9-0",
        "bytes=a-9",
        "bytes=-",
        "bytes=1",
        "bytes=99999999999999999999-",
        "bytes=--5",
      })
  void ignoredAsFull(String header) {
    assertInstanceOf(RangeRequest.Full.class, RangeRequest.parse(header, 1000));
  }

  @org.junit.jupiter.api.Test
  void contentRangeValue() {
    assertEquals("bytes 0-99/1000", new Partial(0, 100).contentRange(1000));
  }
}
