package io.maas.inference.engine;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.maas.inference.ChatTemplateException;
import io.maas.inference.InvalidGenerationParameterException;
import io.maas.inference.ModelFormatException;
import io.maas.inference.model.ModelGenerator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Chat templates render exactly as transformers' apply_chat_template, and hostile templates stay bounded. */
class ChatTemplateTest {

    /** Meta-Llama-3-8B-Instruct's chat_template, verbatim. */
    static final String LLAMA_3 = "{% set loop_messages = messages %}{% for message in loop_messages %}"
            + "{% set content = '<|start_header_id|>' + message['role'] + '<|end_header_id|>\\n\\n'"
            + "+ message['content'] | trim + '<|eot_id|>' %}{% if loop.index0 == 0 %}"
            + "{% set content = bos_token + content %}{% endif %}{{ content }}{% endfor %}"
            + "{% if add_generation_prompt %}{{ '<|start_header_id|>assistant<|end_header_id|>\\n\\n' }}{% endif %}";

    /** Llama 3.1's layout (system block with dates), without tools: whitespace control, slicing, "is defined". */
    static final String LLAMA_3_1 = """
            {{- bos_token }}
            {%- if not date_string is defined %}
                {%- set date_string = "26 Jul 2024" %}
            {%- endif %}
            {%- if messages[0]['role'] == 'system' %}
                {%- set system_message = messages[0]['content']|trim %}
                {%- set messages = messages[1:] %}
            {%- else %}
                {%- set system_message = "" %}
            {%- endif %}
            {{- "<|start_header_id|>system<|end_header_id|>\\n\\n" }}
            {{- "Cutting Knowledge Date: December 2023\\n" }}
            {{- "Today Date: " + date_string + "\\n\\n" }}
            {{- system_message }}
            {{- "<|eot_id|>" }}
            {%- for message in messages %}
                {{- '<|start_header_id|>' + message['role'] + '<|end_header_id|>\\n\\n'+ message['content'] | trim
                    + '<|eot_id|>' }}
            {%- endfor %}
            {%- if add_generation_prompt %}
                {{- '<|start_header_id|>assistant<|end_header_id|>\\n\\n' }}
            {%- endif %}
            """;

    /** Mistral-style: roles must alternate, enforced with raise_exception. */
    static final String ALTERNATING = "{{ bos_token }}{% for message in messages %}"
            + "{% if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}"
            + "{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}"
            + "{% endif %}{% if message['role'] == 'user' %}{{ '[INST] ' + message['content'] + ' [/INST]' }}"
            + "{% else %}{{ message['content'] + eos_token }}{% endif %}{% endfor %}";

    private static final List<ChatMessage> CONVERSATION = List.of(
            new ChatMessage("system", "You are terse. "),
            new ChatMessage("user", " What is 2+2?\n"),
            new ChatMessage("assistant", "4"),
            new ChatMessage("user", "And 3+3?"));

    @TempDir
    Path dir;

    @Test
    void chatMlTemplateFromTheGeneratedModelRendersExactly() throws Exception {
        ChatTemplate template = generatedModelTemplate();
        assertEquals("<|im_start|>system\nYou are a helpful AI assistant.<|im_end|>\n"
                        + "<|im_start|>user\nHi there<|im_end|>\n<|im_start|>assistant\n",
                template.render(List.of(new ChatMessage("user", "Hi there"))),
                "no system message: the template's default one, then the generation prompt");
        assertEquals("<|im_start|>system\nYou are terse. <|im_end|>\n"
                        + "<|im_start|>user\n What is 2+2?\n<|im_end|>\n"
                        + "<|im_start|>assistant\n4<|im_end|>\n"
                        + "<|im_start|>user\nAnd 3+3?<|im_end|>\n"
                        + "<|im_start|>assistant\n",
                template.render(CONVERSATION), "content is kept exactly (ChatML does not trim)");
    }

    @Test
    void llama3TemplateRendersExactly() {
        ChatTemplate template = ChatTemplate.of(LLAMA_3, "<|begin_of_text|>", "<|end_of_text|>");
        assertEquals("<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nYou are terse.<|eot_id|>"
                        + "<|start_header_id|>user<|end_header_id|>\n\nWhat is 2+2?<|eot_id|>"
                        + "<|start_header_id|>assistant<|end_header_id|>\n\n4<|eot_id|>"
                        + "<|start_header_id|>user<|end_header_id|>\n\nAnd 3+3?<|eot_id|>"
                        + "<|start_header_id|>assistant<|end_header_id|>\n\n",
                template.render(CONVERSATION), "| trim binds to the content only, as in Jinja");
    }

    @Test
    void llama31StyleTemplateWithWhitespaceControlRendersExactly() {
        ChatTemplate template = ChatTemplate.of(LLAMA_3_1, "<|begin_of_text|>", "<|eot_id|>");
        assertEquals("<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\n"
                        + "Cutting Knowledge Date: December 2023\nToday Date: 26 Jul 2024\n\n"
                        + "You are terse.<|eot_id|>"
                        + "<|start_header_id|>user<|end_header_id|>\n\nWhat is 2+2?<|eot_id|>"
                        + "<|start_header_id|>assistant<|end_header_id|>\n\n4<|eot_id|>"
                        + "<|start_header_id|>user<|end_header_id|>\n\nAnd 3+3?<|eot_id|>"
                        + "<|start_header_id|>assistant<|end_header_id|>\n\n",
                template.render(CONVERSATION));
        assertEquals("<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\n"
                        + "Cutting Knowledge Date: December 2023\nToday Date: 26 Jul 2024\n\n<|eot_id|>"
                        + "<|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|>"
                        + "<|start_header_id|>assistant<|end_header_id|>\n\n",
                template.render(List.of(new ChatMessage("user", "Hi"))));
    }

    @Test
    void macrosNamespacesAndNegativeIndexesWorkAsInJinja() {
        String source = """
                {% macro wrap(x) %}[{{ inner(x) }}]{% endmacro %}
                {% macro inner(x) %}{{ x | upper }}{% endmacro %}
                {% set ns = namespace(last_user=-1) %}
                {% for m in messages %}{% if m.role == 'user' %}{% set ns.last_user = loop.index0 %}{% endif %}{% endfor %}
                {{ wrap(messages[0].content) }}|{{ ns.last_user }}|{{ messages[-1].role }}|\
                {% if 'assistant' in messages | map(attribute='role') | list %}yes{% endif %}|\
                {% if tools is defined %}tools{% else %}none{% endif %}""";
        assertEquals("[HI]|2|user|yes|none", ChatTemplate.of(source, null, null).render(List.of(
                new ChatMessage("user", "hi"), new ChatMessage("assistant", "yo"), new ChatMessage("user", "bye"))));
    }

    @Test
    void raiseExceptionRejectsTheConversationWithTheTemplatesMessage() {
        ChatTemplate template = ChatTemplate.of(ALTERNATING, "<s>", "</s>");
        assertEquals("<s>[INST] a [/INST]b</s>[INST] c [/INST]", template.render(List.of(
                new ChatMessage("user", "a"), new ChatMessage("assistant", "b"), new ChatMessage("user", "c"))));
        ChatTemplateException e = assertThrows(ChatTemplateException.class, () -> template.render(List.of(
                new ChatMessage("user", "a"), new ChatMessage("user", "b"))));
        assertTrue(e.getMessage().contains("Conversation roles must alternate"), e.getMessage());
    }

    @Test
    void messageTextIsNeverInterpretedAsTemplateCode() throws Exception {
        String hostile = "{{ 7*7 }}{% for x in range(3) %}x{% endfor %}{{ raise_exception('no') }}";
        String rendered = generatedModelTemplate().render(List.of(new ChatMessage("user", hostile)));
        assertTrue(rendered.contains("<|im_start|>user\n" + hostile + "<|im_end|>"), rendered);
    }

    @Test
    void brokenTemplatesAndBadMessagesAreClearErrors() {
        ChatTemplateException syntax = assertThrows(ChatTemplateException.class,
                () -> ChatTemplate.of("{% if %}", null, null).render(List.of(new ChatMessage("user", "x"))));
        assertTrue(syntax.getMessage().contains("if"), syntax.getMessage());
        assertEquals("messages", assertThrows(InvalidGenerationParameterException.class,
                () -> ChatTemplate.of(LLAMA_3, null, null).render(List.of())).param());
        assertEquals("messages", assertThrows(InvalidGenerationParameterException.class,
                () -> new ChatMessage("tool", "x")).param());
        assertEquals("messages", assertThrows(InvalidGenerationParameterException.class,
                () -> new ChatMessage("user", null)).param());
        // A special token the model does not define renders as nothing (bound as an empty string).
        assertEquals("<|start_header_id|>user<|end_header_id|>\n\nx<|eot_id|>"
                        + "<|start_header_id|>assistant<|end_header_id|>\n\n",
                ChatTemplate.of(LLAMA_3, null, null).render(List.of(new ChatMessage("user", "x"))));
    }

    @Test
    void hostileTemplatesAreStoppedByTheirBounds() {
        List<ChatMessage> hi = List.of(new ChatMessage("user", "hi"));
        long start = System.nanoTime();
        // 10^9 loop iterations: stopped by the node budget or the time limit.
        ChatTemplateException loops = assertThrows(ChatTemplateException.class, () -> ChatTemplate.of(
                "{% for a in range(1000) %}{% for b in range(1000) %}{% for c in range(1000) %}{% endfor %}"
                        + "{% endfor %}{% endfor %}", null, null).render(hi));
        assertTrue(loops.getMessage().contains("bound"), loops.getMessage());
        assertTrue((System.nanoTime() - start) / 1e9 < 2 * ChatTemplate.MAX_RENDER_MS / 1000.0 + 1,
                "stopped in time");
        // Output doubling: stopped by the size limits long before memory runs out.
        assertThrows(ChatTemplateException.class, () -> ChatTemplate.of("{% set s = 'ab' * 1 %}"
                + "{% set s = 'abcdefghijklmnopqrstuvwxyz' %}{% for i in range(40) %}{% set s = s ~ s %}{% endfor %}"
                + "{{ s }}", null, null).render(hi));
        assertThrows(ChatTemplateException.class, () -> ChatTemplate.of(
                "{% for i in range(1000) %}{% for j in range(1000) %}{{ 'xxxxxxxxxx' }}{% endfor %}{% endfor %}",
                null, null).render(hi));
        // Allocation by argument, Java methods, other files: refused.
        for (String refused : List.of("{{ 'x' | center(2000000000) }}", "{{ 'x'.repeat(2000000000) }}",
                "{{ ''.replace('', 'xxxxxxxx') }}", "{{ 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa!'.matches('(a+)+b') }}",
                "{% include 'io/maas/inference/model/bpe-corpus.txt' %}", "{{ 'x' | fromyaml }}",
                "{% macro f(n) %}{{ f(n) }}{% endmacro %}{{ f(1) }}{{ raise_exception('recursed') }}")) {
            assertThrows(ChatTemplateException.class, () -> ChatTemplate.of(refused, null, null).render(hi), refused);
        }
    }

    @Test
    void templateFileNamedTemplatesAndTokenObjectsAreRead() throws Exception {
        ObjectMapper json = new ObjectMapper();
        ObjectNode config = json.createObjectNode();
        config.putObject("bos_token").put("__type", "AddedToken").put("content", "<s>");
        config.put("eos_token", "</s>");
        config.putArray("chat_template")
                .add(json.createObjectNode().put("name", "tool_use").put("template", "TOOLS"))
                .add(json.createObjectNode().put("name", "default").put("template", "{{ bos_token }}D{{ eos_token }}"));
        Files.writeString(dir.resolve(ChatTemplate.TOKENIZER_CONFIG_FILE), json.writeValueAsString(config));
        List<ChatMessage> hi = List.of(new ChatMessage("user", "hi"));
        assertEquals("<s>D</s>", ChatTemplate.load(dir).orElseThrow().render(hi));
        Files.writeString(dir.resolve(ChatTemplate.TEMPLATE_FILE), "FILE {{ messages[0].content }}");
        assertEquals("FILE hi", ChatTemplate.load(dir).orElseThrow().render(hi), "chat_template.jinja wins");
        Files.delete(dir.resolve(ChatTemplate.TEMPLATE_FILE));
        config.remove("chat_template");
        Files.writeString(dir.resolve(ChatTemplate.TOKENIZER_CONFIG_FILE), json.writeValueAsString(config));
        assertTrue(ChatTemplate.load(dir).isEmpty());
        Files.writeString(dir.resolve(ChatTemplate.TOKENIZER_CONFIG_FILE), "{\"chat_template\": 3}");
        assertThrows(ModelFormatException.class, () -> ChatTemplate.load(dir));
        Files.writeString(dir.resolve(ChatTemplate.TOKENIZER_CONFIG_FILE), "{not json");
        assertThrows(ModelFormatException.class, () -> ChatTemplate.load(dir));
    }

    private ChatTemplate generatedModelTemplate() throws Exception {
        Path model = dir.resolve("chatml");
        Files.createDirectories(model);
        ObjectNode config = new ObjectMapper().createObjectNode();
        config.put("chat_template", ModelGenerator.CHAT_TEMPLATE);
        config.put("bos_token", "<|im_start|>");
        config.put("eos_token", "<|im_end|>");
        Files.writeString(model.resolve(ChatTemplate.TOKENIZER_CONFIG_FILE), config.toString());
        return ChatTemplate.load(model).orElseThrow();
    }
}
