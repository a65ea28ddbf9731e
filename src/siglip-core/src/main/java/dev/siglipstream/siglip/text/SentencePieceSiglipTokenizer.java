package dev.siglipstream.siglip.text;

import ai.djl.sentencepiece.SpProcessor;
import ai.djl.sentencepiece.SpTokenizer;
import dev.siglipstream.siglip.internal.NativeLibraryLoad;
import dev.siglipstream.siglip.text.TokenizerSettings.AddedTokenSpec;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.locks.ReadWriteLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * transformers' slow {@code SiglipTokenizer} on Google's SentencePiece ({@code spiece.model}).
 *
 * <p>Thread-safe: the Java steps keep no per-call state, SentencePiece's encode is a const operation on the
 * loaded model, and a read/write lock keeps {@link #close()} from freeing the model under a running call.
 * This object owns the native processor and frees it in {@link #close()}.
 */
final class SentencePieceSiglipTokenizer implements SiglipTokenizer {
    static final String MODEL_FILE = "spiece.model";
    private static final String SPIECE_UNDERLINE = "\u2581";

    private final SpTokenizer sp;
    private final SpProcessor processor;
    private final TokenizerSettings settings;
    /** transformers' {@code _added_tokens_encoder}: every added token's content and id. */
    private final Map<String, Integer> addedEncoder;
    private final Map<String, AddedTokenSpec> addedSpecs;
    /** Added tokens ordered longest first, for the leftmost-longest split of the trie. */
    private final List<String> splitTokens;
    /** Tokens the lowercasing regex leaves alone, in its alternation order. */
    private final List<String> lowercaseProtected;
    private final List<String> allSpecial;
    private final int unkTokenLength;
    /** SentencePiece's piece-to-id table, read from the model file. */
    private final Map<String, Integer> vocab;
    private final int unkId;
    private final int eosId;
    private final int padId;
    private final ReadWriteLock lock = new ReentrantReadWriteLock();
    private boolean closed;

    private SentencePieceSiglipTokenizer(SpTokenizer sp, SpModelProto.Edited model, TokenizerSettings settings) {
        this.sp = sp;
        // PieceToId in Java: a JNI call per piece costs ~3 us, more than the rest of the work.
        Map<String, Integer> vocab = new HashMap<>(model.pieceCount() * 2);
        for (int id = model.pieceCount() - 1; id >= 0; id--) {
            vocab.put(model.pieces().get(id), id);
        }
        this.vocab = vocab;
        this.unkId = model.unkId();
        int vocabSize = model.pieceCount();
        this.processor = sp.getProcessor();
        this.settings = settings;
        this.allSpecial = settings.allSpecialTokens();

        Map<String, Integer> encoder = new LinkedHashMap<>();
        Map<String, AddedTokenSpec> specs = new HashMap<>();
        settings.addedTokensDecoder().forEach((id, t) -> {
            encoder.put(t.content(), id);
            specs.put(t.content(), t);
        });
        List<AddedTokenSpec> specials = new ArrayList<>(List.of(settings.eos(), settings.unk(), settings.pad()));
        specials.addAll(settings.additionalSpecial());
        int next = Math.max(vocabSize, settings.addedTokensDecoder().keySet().stream()
                .mapToInt(i -> i + 1).max().orElse(0));
        for (AddedTokenSpec t : specials) {
            if (encoder.containsKey(t.content())) continue;
            // As _add_tokens: a token already in the vocabulary keeps its id, a new one is appended.
            int id = vocab.getOrDefault(t.content(), -1);
            encoder.put(t.content(), id >= 0 ? id : next++);
            specs.put(t.content(), t);
        }
        this.addedEncoder = Map.copyOf(encoder);
        this.addedSpecs = Map.copyOf(specs);
        List<String> split = new ArrayList<>(encoder.keySet());
        split.removeIf(String::isEmpty);
        split.sort((a, b) -> Integer.compare(b.length(), a.length()));
        this.splitTokens = List.copyOf(split);
        List<String> protectedTokens = new ArrayList<>(allSpecial);
        settings.addedTokensDecoder().values().stream()
                .filter(t -> !t.special() && t.normalized())
                .forEach(t -> protectedTokens.add(t.content()));
        protectedTokens.removeIf(String::isEmpty);
        this.lowercaseProtected = List.copyOf(protectedTokens);
        this.unkTokenLength = processor.tokenize(settings.unk().content()).length;
        this.eosId = addedEncoder.get(settings.eos().content());
        this.padId = addedEncoder.get(settings.pad().content());
    }

    private static void loadNative() {
        ai.djl.sentencepiece.jni.LibUtils.loadLibrary();
        try {
            Class.forName("ai.djl.sentencepiece.SpProcessor", true, SentencePieceSiglipTokenizer.class.getClassLoader());
        } catch (ClassNotFoundException e) {
            throw new IllegalStateException("DJL's SentencePiece is not on the class path", e);
        }
    }

    /** Loads {@code spiece.model} from {@code dir} with {@code add_dummy_prefix} switched off. */
    static SentencePieceSiglipTokenizer load(Path dir, TokenizerSettings settings) throws IOException {
        Path model = dir.resolve(MODEL_FILE);
        SpModelProto.Edited edited = SpModelProto.withoutDummyPrefix(Files.readAllBytes(model), model.toString());
        SpTokenizer sp;
        try {
            // Before SpProcessor's static initializer loads it: waits out a released class loader's copy, else
            // loads a copy of its own; SpProcessor is initialised in the same load, so that it finds the same copy.
            NativeLibraryLoad.load("SentencePiece", SentencePieceSiglipTokenizer::loadNative);
            sp = new SpTokenizer(edited.bytes());
        } catch (RuntimeException e) {
            throw new IOException("SentencePiece cannot load " + model + ": " + e.getMessage(), e);
        }
        try {
            return new SentencePieceSiglipTokenizer(sp, edited, settings);
        } catch (RuntimeException e) {
            sp.close();
            throw new IOException("SentencePiece model " + model + " does not fit " + dir
                    + "'s tokenizer settings: " + e.getMessage(), e);
        }
    }

    @Override
    public long[][] encode(List<String> texts) {
        long[][] out = new long[texts.size()][];
        lock.readLock().lock();
        try {
            ensureOpen();
            for (int i = 0; i < out.length; i++) {
                String text = texts.get(i);
                if (text == null) {
                    throw new IllegalArgumentException("texts[" + i + "] is null");
                }
                out[i] = encodeOne(text);
            }
        } finally {
            lock.readLock().unlock();
        }
        return out;
    }

    @Override
    public List<String> tokenize(String text) {
        lock.readLock().lock();
        try {
            ensureOpen();
            return List.copyOf(pieces(text));
        } finally {
            lock.readLock().unlock();
        }
    }

    @Override
    public int maxLength() {
        return settings.maxLength();
    }

    @Override
    public int padId() {
        return padId;
    }

    @Override
    public int eosId() {
        return eosId;
    }

    @Override
    public void close() {
        lock.writeLock().lock();
        try {
            if (!closed) {
                closed = true;
                sp.close();
            }
        } finally {
            lock.writeLock().unlock();
        }
    }

    private void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("SiglipTokenizer is closed");
        }
    }

    /** {@code tokenizer(text, padding="max_length", max_length=n, truncation=True)["input_ids"]}. */
    private long[] encodeOne(String text) {
        List<String> pieces = pieces(text);
        int n = settings.maxLength();
        int[] ids = new int[pieces.size()];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = tokenId(pieces.get(i));
        }
        // prepare_for_model: one special token (</s>) will be added, so keep at most n - 1 content ids.
        int keep = ids.length + 1 > n ? Math.max(0, n - 1) : ids.length;
        long[] row = new long[n];
        Arrays.fill(row, padId);
        for (int i = 0; i < keep; i++) {
            row[i] = ids[i];
        }
        // _add_eos_if_not_present
        if ((keep == 0 || row[keep - 1] != eosId) && keep < n) {
            row[keep] = eosId;
        }
        return row;
    }

    private int tokenId(String piece) {
        Integer added = addedEncoder.get(piece);
        return added != null ? added : vocab.getOrDefault(piece, unkId);
    }

    /** {@code SiglipTokenizer.tokenize}: the pieces before {@code </s>} is added. */
    private List<String> pieces(String text) {
        String prefixed = SPIECE_UNDERLINE + text.replace(SPIECE_UNDERLINE, " ");
        if (settings.doLowerCase()) {
            prefixed = lowercase(prefixed);
        }
        List<String> parts = splitOnAddedTokens(prefixed);
        for (int i = 0; i < parts.size(); i++) {
            String token = parts.get(i);
            AddedTokenSpec spec = addedSpecs.get(token);
            if (!addedEncoder.containsKey(token)) continue;
            if (spec == null) {
                spec = settings.addedTokensDecoder().get(addedEncoder.get(token));
            }
            String left = i > 0 ? parts.get(i - 1) : null;
            String right = i < parts.size() - 1 ? parts.get(i + 1) : null;
            // rstrip means the token eats the spaces on its right, so the right neighbour is left-stripped.
            if (spec.rstrip() && right != null && !right.isEmpty()) {
                parts.set(i + 1, PythonText.lstrip(right));
            }
            if (spec.lstrip() && left != null && !left.isEmpty()) {
                parts.set(i - 1, PythonText.rstrip(left));
            }
            if (spec.singleWord() && left != null && !left.isEmpty() && !left.endsWith(" ")) {
                parts.set(i - 1, parts.get(i - 1) + token);
                parts.set(i, "");
            } else if (spec.singleWord() && right != null && !right.isEmpty() && !right.startsWith(" ")) {
                parts.set(i, token + right);
                parts.set(i + 1, "");
            }
        }
        List<String> out = new ArrayList<>();
        for (String part : parts) {
            if (part.isEmpty()) continue;
            if (addedEncoder.containsKey(part)) {
                out.add(part);
            } else {
                out.addAll(sentencePiece(part));
            }
        }
        if (out.size() > 1 && out.get(0).equals(SPIECE_UNDERLINE) && allSpecial.contains(out.get(1))) {
            out.remove(0);
        }
        return out;
    }

    /** {@code SiglipTokenizer._tokenize}: canonicalise, then encode behind the unk token and drop its pieces. */
    private List<String> sentencePiece(String chunk) {
        String canonical = PythonText.collapseWhitespace(PythonText.removeAsciiPunctuation(chunk));
        String[] pieces = processor.tokenize(settings.unk().content() + canonical);
        List<String> all = Arrays.asList(pieces);
        return pieces.length >= unkTokenLength ? all.subList(unkTokenLength, pieces.length) : all;
    }

    /** {@code re.sub(r"(<special>|...)|(.+?)", lambda m: m[1] or m[2].lower(), text)}. */
    private String lowercase(String text) {
        StringBuilder out = new StringBuilder(text.length() + 4);
        int i = 0;
        outer:
        while (i < text.length()) {
            for (String t : lowercaseProtected) {
                if (text.startsWith(t, i)) {
                    out.append(t);
                    i += t.length();
                    continue outer;
                }
            }
            int cp = text.codePointAt(i);
            i += Character.charCount(cp);
            if (cp == '\n') {
                out.append('\n'); // "." does not match a newline; it is copied as is
            } else {
                PythonText.appendLower(out, cp);
            }
        }
        return out.toString();
    }

    /** {@code tokens_trie.split(text)}: leftmost, then longest, added-token matches become their own parts. */
    private List<String> splitOnAddedTokens(String text) {
        List<String> parts = new ArrayList<>();
        int start = 0;
        int i = 0;
        while (i < text.length()) {
            String match = null;
            for (String t : splitTokens) {
                if (text.startsWith(t, i)) {
                    match = t;
                    break;
                }
            }
            if (match == null) {
                i++;
                continue;
            }
            if (i > start) parts.add(text.substring(start, i));
            parts.add(match);
            i += match.length();
            start = i;
        }
        if (start < text.length()) parts.add(text.substring(start));
        return parts;
    }
}
