package io.maas.gateway.completion;

import java.util.ArrayList;
import java.util.List;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import com.fasterxml.jackson.databind.JsonNode;

import io.maas.gateway.api.OpenAiException;
import io.maas.gateway.api.SseStream;
import io.maas.gateway.auth.Caller;
import io.maas.gateway.metering.TraceContext;
import io.maas.gateway.openai.ChatCompletionChunk;
import io.maas.gateway.openai.ChatCompletionRequest;
import io.maas.gateway.openai.ChatCompletionResponse;
import io.maas.gateway.openai.ChatLogprobs;
import io.maas.gateway.openai.ChatMessageWire;
import io.maas.gateway.openai.Usage;
import io.maas.inference.ChatTemplateException;
import io.maas.inference.engine.ChatMessage;
import io.maas.inference.engine.GenerationListener;
import io.maas.inference.engine.GenerationResult;
import io.maas.inference.engine.LlamaEngine;

/** Serves {@code /v1/chat/completions}: messages rendered through the model's chat template, whole or streamed. */
@ApplicationScoped
public class ChatCompletionService {
    /** Messages one request may carry. */
    static final int MAX_MESSAGES = 1_000;
    static final String ASSISTANT = "assistant";

    @Inject
    GenerationService generation;

    /** A validated chat request. */
    public record Prepared(GenerationService.Job job, boolean stream, boolean includeUsage, boolean logprobs) {
    }

    public Prepared prepare(Caller caller, ChatCompletionRequest request, TraceContext trace, String requestId) {
        GenerationService.Target target = generation.resolve(caller, request.model());
        LlamaEngine engine = target.engine();
        List<ChatMessage> messages = messages(request.messages());
        String prompt;
        try {
            prompt = engine.renderChat(messages);
        } catch (ChatTemplateException e) {
            throw OpenAiException.invalidRequest(e.getMessage(), "messages");
        }
        Integer maxTokens = request.maxCompletionTokens() != null ? request.maxCompletionTokens() : request.maxTokens();
        boolean logprobs = Boolean.TRUE.equals(request.logprobs());
        int topLogprobs = request.topLogprobs() == null ? 0 : request.topLogprobs();
        if (topLogprobs > 0 && !logprobs) {
            throw OpenAiException.invalidValue("'top_logprobs' needs 'logprobs' set to true.", "top_logprobs");
        }
        GenerationService.Job job = generation.prepare(caller, target, prompt, maxTokens,
                new GenerationService.Sampling(request.temperature(), request.topP(), request.seed(), request.stop(),
                        request.presencePenalty(), request.frequencyPenalty(), logprobs, topLogprobs, request.n()),
                trace, requestId);
        boolean stream = Boolean.TRUE.equals(request.stream());
        boolean includeUsage = request.streamOptions() != null && Boolean.TRUE.equals(request.streamOptions().includeUsage());
        return new Prepared(job, stream, includeUsage, logprobs);
    }

    public ChatCompletionResponse complete(Prepared prepared) {
        GenerationService.Job job = prepared.job();
        List<GenerationResult> results = generation.run(job, i -> GenerationListener.NONE);
        List<ChatCompletionResponse.Choice> choices = new ArrayList<>(results.size());
        for (int i = 0; i < results.size(); i++) {
            GenerationResult r = results.get(i);
            choices.add(new ChatCompletionResponse.Choice(i, new ChatCompletionResponse.Message(ASSISTANT, r.text(), null),
                    prepared.logprobs() ? ChatLogprobs.of(r.logprobs()) : null, r.finishReason().wireName()));
        }
        return new ChatCompletionResponse(id(job), ChatCompletionResponse.OBJECT, job.createdEpochSecond(), job.modelId(),
                choices, GenerationService.usage(results), null);
    }

    /** Streams deltas: the role first, then content as it is generated, then each choice's finish reason. */
    public void stream(Prepared prepared, SseStream sse) {
        GenerationService.Job job = prepared.job();
        String id = id(job);
        generation.stream(job, sse, prepared.includeUsage(), choice -> {
            sse.send(chunk(id, job, new ChatCompletionChunk.Choice(choice, new ChatCompletionChunk.Delta(ASSISTANT, ""),
                    null, null), null));
            return GenerationService.streaming(sse, (text, logprobs) -> sse.send(chunk(id, job,
                    new ChatCompletionChunk.Choice(choice, new ChatCompletionChunk.Delta(null, text),
                            prepared.logprobs() ? ChatLogprobs.of(logprobs) : null, null), null)));
        }, (choice, finish) -> chunk(id, job, new ChatCompletionChunk.Choice(choice, new ChatCompletionChunk.Delta(null, null),
                null, finish), null), usage -> chunk(id, job, null, usage));
    }

    private static ChatCompletionChunk chunk(String id, GenerationService.Job job, ChatCompletionChunk.Choice choice,
            Usage usage) {
        return new ChatCompletionChunk(id, ChatCompletionChunk.OBJECT, job.createdEpochSecond(), job.modelId(),
                choice == null ? List.of() : List.of(choice), usage, null);
    }

    private static String id(GenerationService.Job job) {
        return "chatcmpl-" + job.idHex();
    }

    private static List<ChatMessage> messages(List<ChatMessageWire> wire) {
        if (wire == null || wire.isEmpty()) {
            throw OpenAiException.invalidRequest("'messages' must be a non-empty list.", "messages");
        }
        if (wire.size() > MAX_MESSAGES) {
            throw OpenAiException.invalidValue("At most " + MAX_MESSAGES + " messages are accepted.", "messages");
        }
        List<ChatMessage> messages = new ArrayList<>(wire.size());
        for (int i = 0; i < wire.size(); i++) {
            ChatMessageWire m = wire.get(i);
            String param = "messages[" + i + "]";
            if (m == null || m.role() == null || !ChatMessage.ROLES.contains(m.role())) {
                throw OpenAiException.invalidValue("Invalid role at " + param + ": must be one of " + ChatMessage.ROLES
                        + ".", param + ".role");
            }
            messages.add(new ChatMessage(m.role(), text(m.content(), param + ".content")));
        }
        return messages;
    }

    /** A string, or a list of text parts joined; other part types are refused by name. */
    private static String text(JsonNode content, String param) {
        if (content == null || content.isNull()) {
            return "";
        }
        if (content.isTextual()) {
            return content.textValue();
        }
        if (content.isArray()) {
            StringBuilder text = new StringBuilder();
            for (JsonNode part : content) {
                if (!"text".equals(part.path("type").asText()) || !part.path("text").isTextual()) {
                    throw OpenAiException.invalidValue("Only text content parts are supported.", param);
                }
                text.append(part.get("text").textValue());
            }
            return text.toString();
        }
        throw OpenAiException.invalidRequest("Message content must be a string or a list of text parts.", param);
    }
}
