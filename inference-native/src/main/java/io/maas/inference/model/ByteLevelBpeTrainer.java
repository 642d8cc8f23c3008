package io.maas.inference.model;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Trains a deterministic GPT-2 style byte-level BPE vocabulary and renders it as a Hugging Face tokenizer.json. */
public final class ByteLevelBpeTrainer {

    /** GPT-2's pre-tokenizer regex, the one the Hugging Face ByteLevel pre-tokenizer applies. */
    private static final Pattern PRE_TOKENIZER = Pattern.compile(
            "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+",
            Pattern.UNICODE_CHARACTER_CLASS);
    private static final String[] BYTE_TO_SYMBOL = byteToSymbol();

    /** A trained vocabulary: tokens in id order and merges in rank order. */
    public record Vocabulary(List<String> tokens, List<String> merges) {
        public Vocabulary {
            tokens = List.copyOf(tokens);
            merges = List.copyOf(merges);
        }
    }

    private ByteLevelBpeTrainer() {
    }

    /**
     * Ids: the special tokens first, then the 256 byte symbols in byte order (so any UTF-8 text encodes),
     * then one token per merge until {@code vocabSize} tokens or no pair occurs twice.
     */
    public static Vocabulary train(String corpus, int vocabSize, List<String> specialTokens) {
        Map<String, Integer> ids = new LinkedHashMap<>();
        specialTokens.forEach(s -> ids.putIfAbsent(s, ids.size()));
        for (String symbol : BYTE_TO_SYMBOL) {
            ids.putIfAbsent(symbol, ids.size());
        }
        List<Word> words = countWords(corpus);
        List<String> merges = new ArrayList<>();
        while (ids.size() < vocabSize) {
            Map<String, Long> pairCounts = new HashMap<>();
            for (Word w : words) {
                for (int i = 0; i + 1 < w.symbols.size(); i++) {
                    pairCounts.merge(w.symbols.get(i) + " " + w.symbols.get(i + 1), w.count, Long::sum);
                }
            }
            // Most frequent pair; ties go to the lexicographically smallest so training is deterministic.
            String best = null;
            long bestCount = 1; // a pair seen once teaches nothing
            for (Map.Entry<String, Long> e : pairCounts.entrySet()) {
                long c = e.getValue();
                if (c > bestCount || (c == bestCount && best != null && e.getKey().compareTo(best) < 0)) {
                    best = e.getKey();
                    bestCount = c;
                }
            }
            if (best == null) {
                break;
            }
            merges.add(best);
            int space = best.indexOf(' ');
            String left = best.substring(0, space);
            String right = best.substring(space + 1);
            ids.putIfAbsent(left + right, ids.size());
            words.forEach(w -> w.merge(left, right));
        }
        return new Vocabulary(new ArrayList<>(ids.keySet()), merges);
    }

    /** Renders {@code tokenizer.json}: ByteLevel pre-tokenizer and decoder, BPE model, specials as added tokens. */
    public static ObjectNode tokenizerJson(Vocabulary vocabulary, List<String> specialTokens) {
        JsonNodeFactory f = JsonNodeFactory.instance;
        ObjectNode root = f.objectNode();
        root.put("version", "1.0");
        root.putNull("truncation");
        root.putNull("padding");
        ArrayNode added = root.putArray("added_tokens");
        for (String s : specialTokens) {
            added.addObject().put("id", vocabulary.tokens().indexOf(s)).put("content", s)
                    .put("single_word", false).put("lstrip", false).put("rstrip", false)
                    .put("normalized", false).put("special", true);
        }
        root.putNull("normalizer");
        root.set("pre_tokenizer", byteLevel(f, false, true));
        root.set("post_processor", byteLevel(f, true, false));
        root.set("decoder", byteLevel(f, true, true));
        ObjectNode model = root.putObject("model");
        model.put("type", "BPE");
        model.putNull("dropout");
        model.putNull("unk_token");
        model.putNull("continuing_subword_prefix");
        model.putNull("end_of_word_suffix");
        model.put("fuse_unk", false);
        model.put("byte_fallback", false);
        ObjectNode vocab = model.putObject("vocab");
        for (int i = 0; i < vocabulary.tokens().size(); i++) {
            vocab.put(vocabulary.tokens().get(i), i);
        }
        ArrayNode merges = model.putArray("merges");
        vocabulary.merges().forEach(merges::add);
        return root;
    }

    /** GPT-2's reversible map from bytes to printable symbols (space becomes 'Ġ', newline 'Ċ'). */
    static String symbolOf(int unsignedByte) {
        return BYTE_TO_SYMBOL[unsignedByte];
    }

    private static ObjectNode byteLevel(JsonNodeFactory f, boolean addPrefixSpace, boolean trimOffsets) {
        return f.objectNode().put("type", "ByteLevel").put("add_prefix_space", addPrefixSpace)
                .put("trim_offsets", trimOffsets).put("use_regex", true);
    }

    private static List<Word> countWords(String corpus) {
        Map<String, Long> counts = new TreeMap<>(); // sorted: the training order never depends on hashing
        Matcher m = PRE_TOKENIZER.matcher(corpus);
        while (m.find()) {
            StringBuilder mapped = new StringBuilder();
            for (byte b : m.group().getBytes(StandardCharsets.UTF_8)) {
                mapped.append(BYTE_TO_SYMBOL[b & 0xff]);
            }
            counts.merge(mapped.toString(), 1L, Long::sum);
        }
        List<Word> words = new ArrayList<>();
        counts.forEach((w, c) -> words.add(new Word(w, c)));
        return words;
    }

    private static String[] byteToSymbol() {
        String[] map = new String[256];
        boolean[] printable = new boolean[256];
        for (int b = '!'; b <= '~'; b++) {
            printable[b] = true;
        }
        for (int b = 0xA1; b <= 0xAC; b++) {
            printable[b] = true;
        }
        for (int b = 0xAE; b <= 0xFF; b++) {
            printable[b] = true;
        }
        int next = 256;
        for (int b = 0; b < 256; b++) {
            map[b] = String.valueOf((char) (printable[b] ? b : next++));
        }
        return map;
    }

    /** A pre-token as a sequence of symbols, with how often it occurs. */
    private static final class Word {
        private final List<String> symbols = new ArrayList<>();
        private final long count;

        Word(String mapped, long count) {
            this.count = count;
            mapped.codePoints().forEach(cp -> symbols.add(new String(Character.toChars(cp))));
        }

        void merge(String left, String right) {
            for (int i = 0; i + 1 < symbols.size(); i++) {
                if (symbols.get(i).equals(left) && symbols.get(i + 1).equals(right)) {
                    symbols.set(i, left + right);
                    symbols.remove(i + 1);
                }
            }
        }
    }
}
