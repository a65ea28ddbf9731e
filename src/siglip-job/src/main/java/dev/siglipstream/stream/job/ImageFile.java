package dev.siglipstream.stream.job;

/**
 * One file of a backfill folder, read whole.
 *
 * @param id the file's path (local files) or URI (other file systems): the event id
 * @param bytes its content, cut at one byte over the job's image size limit
 * @param size its size in bytes
 * @param modified its modification time, epoch milliseconds (the event time)
 */
public record ImageFile(String id, byte[] bytes, long size, long modified) {}
