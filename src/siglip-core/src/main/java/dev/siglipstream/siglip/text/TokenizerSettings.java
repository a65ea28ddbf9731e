package dev.siglipstream.siglip.text;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What {@code tokenizer_config.json} and {@code special_tokens_map.json} say, merged the way transformers'
 * {@code from_pretrained} merges them ({@code special_tokens_map.json} wins for the special tokens).
 *
 * @param maxLength                 {@code model_max_length} when present and below 1e6, else the caller's fallback
 * @param doLowerCase               {@code do_lower_case} (SigLIP default true)
 * @param eos                       the eos token
 * @param pad                       the pad token
 * @param unk                       the unk token
 * @param additionalSpecial         {@code additional_special_tokens}
 * @param addedTokensDecoder        {@code added_tokens_decoder}: id to token, in file order
 * @param addBosToken               {@code add_bos_token} when present (Gemma/Llama fast tokenizers), else null
 * @param addEosToken               {@code add_eos_token} when present, else null
 */
record TokenizerSettings(
        int maxLength,
        boolean doLowerCase,
        AddedTokenSpec eos,
        AddedTokenSpec pad,
        AddedTokenSpec unk,
        List<AddedTokenSpec> additionalSpecial,
        Map<Integer, AddedTokenSpec> addedTokensDecoder,
        Boolean addBosToken,
        Boolean addEosToken) {

    static final String TOKENIZER_CONFIG = "tokenizer_config.json";
    static final String SPECIAL_TOKENS_MAP = "special_tokens_map.json";
    private static final double MAX_SENSIBLE_LENGTH = 1e6;
    private static final ObjectMapper JSON = new ObjectMapper();

    /** One added token with transformers' {@code AddedToken} flags. */
    record AddedTokenSpec(String content, boolean lstrip, boolean rstrip, boolean singleWord, boolean normalized,
                          boolean special) {}

    /**
     * Reads the folder's tokenizer configuration; absent files give SigLIP's defaults.
     *
     * @param defaultPad the pad token when none is configured ({@code </s>} for SigLIP, {@code <pad>} for Gemma)
     */
    static TokenizerSettings read(Path dir, int fallbackMaxLength, String defaultPad) throws IOException {
        JsonNode config = readJson(dir.resolve(TOKENIZER_CONFIG));
        JsonNode map = readJson(dir.resolve(SPECIAL_TOKENS_MAP));

        int maxLength = fallbackMaxLength;
        JsonNode mml = config.path("model_max_length");
        if (mml.isNumber() && mml.asDouble() < MAX_SENSIBLE_LENGTH) {
            maxLength = mml.asInt();
        }
        if (maxLength < 1) {
            throw new IOException("Tokenizer max length must be >= 1, got " + maxLength + " (model_max_length in "
                    + dir.resolve(TOKENIZER_CONFIG) + ", or the fallback " + fallbackMaxLength + ")");
        }
        boolean lower = config.path("do_lower_case").asBoolean(true);

        // SiglipTokenizer.__init__ wraps plain-string pad/eos/unk as AddedToken(lstrip=True, rstrip=True).
        AddedTokenSpec eos = special(map, config, "eos_token", "</s>", true);
        AddedTokenSpec pad = special(map, config, "pad_token", defaultPad, true);
        AddedTokenSpec unk = special(map, config, "unk_token", "<unk>", true);
        List<AddedTokenSpec> additional = new ArrayList<>();
        JsonNode extra = map.has("additional_special_tokens") ? map.get("additional_special_tokens")
                : config.path("additional_special_tokens");
        if (extra.isArray()) {
            for (JsonNode e : extra) {
                additional.add(token(e, false));
            }
        }
        Map<Integer, AddedTokenSpec> decoder = new LinkedHashMap<>();
        JsonNode dec = config.path("added_tokens_decoder");
        for (var e : dec.properties()) {
            int id;
            try {
                id = Integer.parseInt(e.getKey());
            } catch (NumberFormatException ex) {
                throw new IOException("added_tokens_decoder key in " + dir.resolve(TOKENIZER_CONFIG)
                        + " must be an integer id, got \"" + e.getKey() + "\"", ex);
            }
            decoder.put(id, token(e.getValue(), false));
        }
        Boolean addBos = config.path("add_bos_token").isBoolean() ? config.get("add_bos_token").asBoolean() : null;
        Boolean addEos = config.path("add_eos_token").isBoolean() ? config.get("add_eos_token").asBoolean() : null;
        return new TokenizerSettings(maxLength, lower, eos, pad, unk, List.copyOf(additional),
                Collections.unmodifiableMap(decoder), addBos, addEos);
    }

    /** The special tokens in transformers' {@code all_special_tokens} order, without duplicates. */
    List<String> allSpecialTokens() {
        List<String> out = new ArrayList<>();
        for (AddedTokenSpec t : List.of(eos, unk, pad)) {
            if (!out.contains(t.content())) out.add(t.content());
        }
        for (AddedTokenSpec t : additionalSpecial) {
            if (!out.contains(t.content())) out.add(t.content());
        }
        return out;
    }

    private static AddedTokenSpec special(JsonNode map, JsonNode config, String key, String dflt, boolean strip) {
        JsonNode node = map.hasNonNull(key) ? map.get(key) : config.get(key);
        if (node == null || node.isNull()) {
            return new AddedTokenSpec(dflt, strip, strip, false, false, true);
        }
        if (node.isTextual()) {
            return new AddedTokenSpec(node.asText(), strip, strip, false, false, true);
        }
        return token(node, true);
    }

    private static AddedTokenSpec token(JsonNode node, boolean special) {
        if (node.isTextual()) {
            // _add_tokens turns a plain string into AddedToken(lstrip=False, rstrip=False, normalized=not special).
            return new AddedTokenSpec(node.asText(), false, false, false, !special, special);
        }
        boolean isSpecial = node.path("special").asBoolean(special);
        return new AddedTokenSpec(node.path("content").asText(), node.path("lstrip").asBoolean(false),
                node.path("rstrip").asBoolean(false), node.path("single_word").asBoolean(false),
                node.path("normalized").asBoolean(!isSpecial), isSpecial);
    }

    static JsonNode readJson(Path file) throws IOException {
        if (!Files.isRegularFile(file)) {
            return JSON.createObjectNode();
        }
        try {
            JsonNode node = JSON.readTree(file.toFile());
            if (node == null || !node.isObject()) {
                throw new IOException(file + " must hold a JSON object, got " + (node == null ? "nothing" : node.getNodeType()));
            }
            return node;
        } catch (com.fasterxml.jackson.core.JacksonException e) {
            throw new IOException("Cannot parse " + file + ": " + e.getOriginalMessage(), e);
        }
    }
}
