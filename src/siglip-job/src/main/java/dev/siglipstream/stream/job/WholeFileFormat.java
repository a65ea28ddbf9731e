package dev.siglipstream.stream.job;

import java.io.IOException;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.connector.file.src.FileSourceSplit;
import org.apache.flink.connector.file.src.reader.BulkFormat;
import org.apache.flink.connector.file.src.util.CheckpointedPosition;
import org.apache.flink.connector.file.src.util.SingletonResultIterator;
import org.apache.flink.core.fs.FSDataInputStream;
import org.apache.flink.core.fs.FileStatus;
import org.apache.flink.core.fs.FileSystem;
import org.apache.flink.core.fs.Path;

/**
 * A {@link BulkFormat} that reads each file whole as one {@link ImageFile} (path and bytes): the
 * FileSource's line and stream formats do not know the path a record came from, and an image is
 * not splittable. At most {@code maxBytes + 1} bytes are read, so an oversized file cannot exhaust
 * memory and is still refused as too large downstream.
 */
final class WholeFileFormat implements BulkFormat<ImageFile, FileSourceSplit> {
    private static final long serialVersionUID = 1L;
    private final int maxBytes;

    WholeFileFormat(int maxBytes) {
        this.maxBytes = maxBytes;
    }

    @Override
    public Reader<ImageFile> createReader(Configuration config, FileSourceSplit split) {
        return new FileReader(split, maxBytes, 0L);
    }

    @Override
    public Reader<ImageFile> restoreReader(Configuration config, FileSourceSplit split) {
        // Restored after the file's one record was emitted: nothing more to read.
        long done = split.getReaderPosition().map(CheckpointedPosition::getRecordsAfterOffset).orElse(0L);
        return new FileReader(split, maxBytes, done);
    }

    @Override
    public boolean isSplittable() {
        return false;
    }

    @Override
    public TypeInformation<ImageFile> getProducedType() {
        return TypeInformation.of(ImageFile.class);
    }

    /** The id of a file: its local path, or its URI on other file systems. */
    static String id(Path path) {
        java.net.URI uri = path.toUri();
        return uri.getScheme() == null || "file".equals(uri.getScheme()) ? uri.getPath() : uri.toString();
    }

    private static final class FileReader implements Reader<ImageFile> {
        private final FileSourceSplit split;
        private final int maxBytes;
        private boolean done;

        FileReader(FileSourceSplit split, int maxBytes, long recordsDone) {
            this.split = split;
            this.maxBytes = maxBytes;
            this.done = recordsDone > 0;
        }

        @Override
        public RecordIterator<ImageFile> readBatch() throws IOException {
            if (done) {
                return null;
            }
            done = true;
            Path path = split.path();
            FileSystem fs = path.getFileSystem();
            FileStatus status = fs.getFileStatus(path);
            int limit = (int) Math.min(status.getLen(), (long) maxBytes + 1);
            byte[] bytes;
            try (FSDataInputStream in = fs.open(path)) {
                bytes = in.readNBytes(limit);
            }
            SingletonResultIterator<ImageFile> it = new SingletonResultIterator<>();
            it.set(new ImageFile(id(path), bytes, status.getLen(), status.getModificationTime()),
                    CheckpointedPosition.NO_OFFSET, 1L);
            return it;
        }

        @Override
        public void close() {}
    }
}
