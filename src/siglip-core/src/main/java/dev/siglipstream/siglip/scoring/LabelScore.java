package dev.siglipstream.siglip.scoring;

/** One candidate label and its score (a sigmoid probability for zero-shot). */
public record LabelScore(String label, float score) {}
