package io.maas.inference.engine;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.hubspot.jinjava.Jinjava;
import com.hubspot.jinjava.JinjavaConfig;
import com.hubspot.jinjava.LegacyOverrides;
import com.hubspot.jinjava.el.JinjavaProcessors;
import com.hubspot.jinjava.interpret.Context;
import com.hubspot.jinjava.interpret.RenderResult;
import com.hubspot.jinjava.interpret.TemplateError;
import com.hubspot.jinjava.lib.fn.ELFunctionDefinition;
import io.maas.inference.ChatTemplateException;
import io.maas.inference.InvalidGenerationParameterException;
import io.maas.inference.MissingChatTemplateException;
import io.maas.inference.ModelFormatException;

import java.io.IOException;
import java.lang.reflect.Method;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * A model's Jinja chat template (Hugging Face {@code chat_template}) rendered with jinjava the way transformers'
 * {@code apply_chat_template} does, inside bounds so a hostile template cannot hang the caller or exhaust memory.
 */
final class ChatTemplate {

    // transformers renders with trim_blocks and lstrip_blocks, variables messages, add_generation_prompt and the
    // special tokens, and a raise_exception(message) function; the same here. Bounds: output size, string and
    // collection sizes, range(), no recursive macros, a budget of rendered nodes and wall time (loops render
    // nodes, so an endless-looking template stops), no include/import (a template must not read other files),
    // no nested interpretation (message text is never treated as template code), and no Java methods that
    // allocate at will or run regular expressions (user text against a template's pattern could backtrack for
    // ever).

    static final String TOKENIZER_CONFIG_FILE = "tokenizer_config.json";
    /** transformers ≥ 4.43 may save the template in its own file; it wins over tokenizer_config.json's. */
    static final String TEMPLATE_FILE = "chat_template.jinja";
    static final long MAX_FILE_BYTES = 16L * 1024 * 1024;
    static final int MAX_OUTPUT_CHARS = 4 * 1024 * 1024;
    static final int MAX_COLLECTION_SIZE = 10_000;
    static final int MAX_RANGE = 1_000;
    static final long MAX_NODE_RENDERS = 500_000;
    static final long MAX_RENDER_MS = 1_000;
    /** Longest raise_exception message passed on. */
    static final int MAX_MESSAGE_CHARS = 1_000;

    /** Java methods a template may call on strings, lists and maps; every other public JDK method name is refused. */
    private static final Set<String> ALLOWED_METHODS = Set.of("strip", "stripLeading", "stripTrailing", "trim",
            "startsWith", "endsWith", "contains", "containsKey", "get", "size", "length", "isEmpty", "indexOf",
            "substring", "charAt", "toUpperCase", "toLowerCase", "equals", "keySet", "values", "entrySet",
            "getKey", "getValue");
    /**
     * Filters that allocate what their argument says (center(10**9)), re-render text as a template, parse YAML
     * (alias bombs), give a different prompt each time, or need the jars excluded in the pom.
     */
    private static final Set<String> DISABLED_FILTERS = Set.of("center", "indent", "format", "batch", "render",
            "fromyaml", "toyaml", "random", "shuffle", "ipaddr", "ipv4", "ipv6", "b64encode", "b64decode", "log",
            "root");
    private static final Set<String> DISABLED_TAGS = Set.of("include", "import", "from", "extends", "block");
    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final ThreadLocal<RenderState> CURRENT = new ThreadLocal<>();
    private static final Jinjava JINJAVA = newJinjava();

    private final String source;
    private final String bosToken;
    private final String eosToken;

    private ChatTemplate(String source, String bosToken, String eosToken) {
        this.source = source;
        this.bosToken = bosToken;
        this.eosToken = eosToken;
    }

    /** A template with the given special-token strings (null: not defined for the template). */
    static ChatTemplate of(String source, String bosToken, String eosToken) {
        if (source == null || source.isEmpty()) {
            throw new IllegalArgumentException("empty chat template");
        }
        return new ChatTemplate(source, bosToken, eosToken);
    }

    /**
     * The model directory's template: {@code chat_template.jinja}, else {@code chat_template} in
     * {@code tokenizer_config.json} (a string, or a list of named templates of which "default" is used); empty when
     * neither defines one. Malformed files raise {@link ModelFormatException}.
     */
    static Optional<ChatTemplate> load(Path modelDir) {
        Path configFile = modelDir.resolve(TOKENIZER_CONFIG_FILE);
        JsonNode config = JSON.createObjectNode();
        if (Files.exists(configFile)) {
            try {
                config = JSON.readTree(read(configFile));
            } catch (JacksonException e) {
                throw new ModelFormatException(configFile + ": invalid JSON: " + e.getOriginalMessage(), e);
            } catch (IOException e) {
                throw new ModelFormatException(configFile + ": cannot read: " + e.getMessage(), e);
            }
            if (!config.isObject()) {
                throw new ModelFormatException(configFile + ": not a JSON object");
            }
        }
        String bos = specialToken(config, "bos_token", configFile);
        String eos = specialToken(config, "eos_token", configFile);
        Path templateFile = modelDir.resolve(TEMPLATE_FILE);
        if (Files.exists(templateFile)) {
            return Optional.of(new ChatTemplate(new String(read(templateFile), StandardCharsets.UTF_8), bos, eos));
        }
        JsonNode template = config.path("chat_template");
        if (template.isMissingNode() || template.isNull()) {
            return Optional.empty();
        }
        if (template.isTextual()) {
            return template.asText().isEmpty() ? Optional.empty()
                    : Optional.of(new ChatTemplate(template.asText(), bos, eos));
        }
        if (template.isArray()) {
            for (JsonNode named : template) {
                if ("default".equals(named.path("name").asText()) && named.path("template").isTextual()) {
                    return Optional.of(new ChatTemplate(named.path("template").asText(), bos, eos));
                }
            }
            return Optional.empty();
        }
        throw new ModelFormatException(configFile + ": chat_template must be a string or a list of named templates");
    }

    /**
     * The prompt for {@code messages} with {@code add_generation_prompt=true}. The template's
     * {@code raise_exception} and any rendering failure raise {@link ChatTemplateException}.
     */
    String render(List<ChatMessage> messages) {
        if (messages == null || messages.isEmpty()) {
            throw new InvalidGenerationParameterException("messages", "messages must not be empty");
        }
        List<Map<String, Object>> list = new ArrayList<>(messages.size());
        for (ChatMessage m : messages) {
            if (m == null) {
                throw new InvalidGenerationParameterException("messages", "messages must not contain null");
            }
            Map<String, Object> entry = new LinkedHashMap<>(); // ordered: tojson gives role, then content
            entry.put("role", m.role());
            entry.put("content", m.content());
            list.add(Collections.unmodifiableMap(entry));
        }
        Map<String, Object> bindings = new HashMap<>();
        bindings.put("messages", Collections.unmodifiableList(list));
        bindings.put("add_generation_prompt", true);
        // A token the model does not define is empty, not undefined: jinjava would render `undefined + text` as
        // "null" + text (Jinja would fail).
        bindings.put("bos_token", bosToken == null ? "" : bosToken);
        bindings.put("eos_token", eosToken == null ? "" : eosToken);
        RenderState state = new RenderState();
        CURRENT.set(state);
        RenderResult result;
        try {
            result = JINJAVA.renderForResult(source, bindings);
        } catch (RenderAborted e) {
            result = null;
        } catch (RuntimeException | StackOverflowError e) {
            throw new ChatTemplateException("the chat template failed: " + e, e);
        } finally {
            CURRENT.remove();
        }
        if (state.raised != null) {
            throw new ChatTemplateException("the chat template rejected the conversation: " + state.raised);
        }
        if (state.abortReason != null) {
            throw new ChatTemplateException("the chat template exceeded a bound: " + state.abortReason);
        }
        if (result == null) {
            throw new ChatTemplateException("the chat template failed");
        }
        for (TemplateError error : result.getErrors()) {
            if (error.getSeverity() == TemplateError.ErrorType.FATAL) {
                throw new ChatTemplateException("the chat template failed: " + error.getMessage());
            }
        }
        return result.getOutput();
    }

    /** HF's {@code raise_exception(message)}: the template refuses the conversation (e.g. roles must alternate). */
    static String raiseException(Object message) {
        RenderState state = CURRENT.get();
        String text = String.valueOf(message);
        if (text.length() > MAX_MESSAGE_CHARS) {
            text = text.substring(0, MAX_MESSAGE_CHARS) + "..."; // it becomes an error response
        }
        if (state != null && state.raised == null) {
            state.raised = text;
        }
        throw new RenderAborted();
    }

    private static Jinjava newJinjava() {
        Map<Context.Library, Set<String>> disabled = Map.of(Context.Library.FILTER, DISABLED_FILTERS,
                Context.Library.TAG, DISABLED_TAGS);
        JinjavaConfig config = JinjavaConfig.newBuilder()
                .withTrimBlocks(true)
                .withLstripBlocks(true)
                // Jinja semantics where jinjava kept older defaults: {{- x -}} trims like {%- -%}.
                .withLegacyOverrides(LegacyOverrides.newBuilder()
                        .withUseTrimmingForNotesAndExpressions(true)
                        .build())
                .withNestedInterpretationEnabled(false)
                .withFailOnUnknownTokens(false) // Jinja's default Undefined renders as nothing, as in transformers
                .withMaxOutputSize(MAX_OUTPUT_CHARS)
                .withMaxStringLength(MAX_OUTPUT_CHARS)
                .withMaxListSize(MAX_COLLECTION_SIZE)
                .withMaxMapSize(MAX_COLLECTION_SIZE)
                .withRangeLimit(MAX_RANGE)
                .withMaxRenderDepth(10)
                .withEnableRecursiveMacroCalls(false)
                .withRestrictedMethods(restrictedMethods())
                .withDisabled(disabled)
                .withProcessors(JinjavaProcessors.newBuilder().withNodePreProcessor((node, interpreter) -> {
                    RenderState state = CURRENT.get();
                    if (state != null) {
                        state.tick();
                    }
                }).build())
                .build();
        Jinjava jinjava = new Jinjava(config);
        jinjava.setResourceLocator((name, encoding, interpreter) -> {
            throw new IOException("templates may not load other files");
        });
        try {
            Method raise = ChatTemplate.class.getDeclaredMethod("raiseException", Object.class);
            raise.setAccessible(true);
            jinjava.getGlobalContext().registerFunction(new ELFunctionDefinition("", "raise_exception", raise));
        } catch (NoSuchMethodException e) {
            throw new IllegalStateException(e);
        }
        return jinjava;
    }

    /** Every public method name of the JDK types a template sees, minus the harmless ones it may call. */
    private static Set<String> restrictedMethods() {
        Set<String> names = new TreeSet<>();
        for (Class<?> type : List.of(Object.class, String.class, CharSequence.class, Number.class, Long.class,
                Integer.class, Double.class, Boolean.class, Collection.class, List.class, Map.class,
                Map.Entry.class, Iterable.class, StringBuilder.class)) {
            for (Method m : type.getMethods()) {
                names.add(m.getName());
            }
        }
        names.removeAll(ALLOWED_METHODS);
        return names;
    }

    private static String specialToken(JsonNode config, String field, Path file) {
        JsonNode token = config.path(field);
        if (token.isMissingNode() || token.isNull()) {
            return null;
        }
        if (token.isTextual()) {
            return token.asText();
        }
        if (token.isObject() && token.path("content").isTextual()) {
            return token.path("content").asText(); // older transformers saved AddedToken objects
        }
        throw new ModelFormatException(file + ": " + field + " must be a string or an object with content");
    }

    private static byte[] read(Path file) {
        try {
            if (Files.size(file) > MAX_FILE_BYTES) {
                throw new ModelFormatException(file + ": larger than " + MAX_FILE_BYTES + " bytes");
            }
            return Files.readAllBytes(file);
        } catch (IOException e) {
            throw new ModelFormatException(file + ": cannot read: " + e.getMessage(), e);
        }
    }

    /** One render's budget and outcome; lives in a thread-local because jinjava's hooks are process-wide. */
    private static final class RenderState {

        private final long deadlineNanos = System.nanoTime() + MAX_RENDER_MS * 1_000_000;
        private long nodes;
        private String raised;
        private String abortReason;

        void tick() {
            if (raised != null || abortReason != null) {
                throw new RenderAborted();
            }
            if (++nodes > MAX_NODE_RENDERS) {
                abortReason = "more than " + MAX_NODE_RENDERS + " template nodes rendered";
                throw new RenderAborted();
            }
            if (System.nanoTime() - deadlineNanos > 0) {
                abortReason = "rendering took longer than " + MAX_RENDER_MS + " ms";
                throw new RenderAborted();
            }
        }
    }

    /** Unwinds a render; no stack trace, since a template that keeps going may trigger it many times. */
    private static final class RenderAborted extends RuntimeException {

        RenderAborted() {
            super("chat template rendering aborted", null, false, false);
        }
    }
}
