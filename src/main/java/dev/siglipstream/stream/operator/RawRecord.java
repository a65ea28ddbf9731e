package dev.siglipstream.stream.operator;

/**
 * One input Kafka record as read, before deserialisation, so a malformed value can still be sent
 * to the dead letters byte for byte.
 *
 * @param topic the topic it came from
 * @param key the record key (the event id), may be null
 * @param value the record value, may be null
 */
public record RawRecord(String topic, byte[] key, byte[] value) {}
