package dev.tokenkeeper.httpclient5;

import java.io.IOException;
import java.util.Set;
import org.apache.hc.core5.http.ContentType;
import org.apache.hc.core5.http.nio.AsyncEntityProducer;
import org.apache.hc.core5.http.nio.DataStreamChannel;
import org.apache.hc.core5.http.nio.entity.AsyncEntityProducers;

/** A text body that says it cannot be sent twice (as a stream's would), counting its sends. */
final class OneShotProducer implements AsyncEntityProducer {
  private final AsyncEntityProducer text;

  OneShotProducer(String body) {
    this.text = AsyncEntityProducers.create(body, ContentType.TEXT_PLAIN);
  }

  @Override
  public boolean isRepeatable() {
    return false;
  }

  @Override
  public void failed(Exception cause) {
    text.failed(cause);
  }

  @Override
  public long getContentLength() {
    return text.getContentLength();
  }

  @Override
  public String getContentType() {
    return text.getContentType();
  }

  @Override
  public String getContentEncoding() {
    return text.getContentEncoding();
  }

  @Override
  public boolean isChunked() {
    return text.isChunked();
  }

  @Override
  public Set<String> getTrailerNames() {
    return text.getTrailerNames();
  }

  @Override
  public int available() {
    return text.available();
  }

  @Override
  public void produce(DataStreamChannel channel) throws IOException {
    text.produce(channel);
  }

  @Override
  public void releaseResources() {
    text.releaseResources();
  }
}
