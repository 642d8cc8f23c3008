package io.maas.gateway.completion;

import java.util.ArrayList;
import java.util.List;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import com.fasterxml.jackson.databind.JsonNode;

import io.maas.app.config.MaasConfig;
import io.maas.gateway.api.OpenAiException;
import io.maas.gateway.api.SseStream;
import io.maas.gateway.auth.Caller;
import io.maas.gateway.metering.TraceContext;
import io.maas.gateway.openai.CompletionLogprobs;
import io.maas.gateway.openai.CompletionRequest;
import io.maas.gateway.openai.CompletionResponse;
import io.maas.gateway.openai.Usage;
import io.maas.inference.engine.GenerationListener;
import io.maas.inference.engine.GenerationResult;
import io.maas.inference.engine.LlamaEngine;

/** Serves {@code /v1/completions}: a prompt in, text out, whole or streamed. */
@ApplicationScoped
public class CompletionService {
    /** The legacy completions API allows at most 5 alternatives per position. */
    static final int MAX_LOGPROBS = 5;

    @Inject
    GenerationService generation;
    @Inject
    MaasConfig config;

    /** A validated completion request. */
    public record Prepared(GenerationService.Job job, boolean stream, boolean includeUsage, boolean logprobs) {
    }

    public Prepared prepare(Caller caller, CompletionRequest request, TraceContext trace, String requestId) {
        GenerationService.Target target = generation.resolve(caller, request.model());
        LlamaEngine engine = target.engine();
        String prompt = prompt(request.prompt());
        Integer logprobs = request.logprobs();
        if (logprobs != null && (logprobs < 0 || logprobs > MAX_LOGPROBS)) {
            throw OpenAiException.invalidValue("'logprobs' must be between 0 and " + MAX_LOGPROBS + ".", "logprobs");
        }
        Integer maxTokens = request.maxTokens() == null ? Integer.valueOf(config.inference().defaultMaxTokens())
                : request.maxTokens();
        GenerationService.Job job = generation.prepare(caller, target, prompt, maxTokens,
                new GenerationService.Sampling(request.temperature(), request.topP(), request.seed(), request.stop(),
                        request.presencePenalty(), request.frequencyPenalty(), logprobs != null,
                        logprobs == null ? 0 : logprobs, request.n()),
                trace, requestId);
        boolean stream = Boolean.TRUE.equals(request.stream());
        boolean includeUsage = request.streamOptions() != null && Boolean.TRUE.equals(request.streamOptions().includeUsage());
        return new Prepared(job, stream, includeUsage, logprobs != null);
    }

    public CompletionResponse complete(Prepared prepared) {
        GenerationService.Job job = prepared.job();
        List<GenerationResult> results = generation.run(job, i -> GenerationListener.NONE);
        List<CompletionResponse.Choice> choices = new ArrayList<>(results.size());
        for (int i = 0; i < results.size(); i++) {
            GenerationResult r = results.get(i);
            choices.add(new CompletionResponse.Choice(r.text(), i,
                    prepared.logprobs() ? CompletionLogprobs.of(r.logprobs(), 0) : null, r.finishReason().wireName()));
        }
        return new CompletionResponse(id(job), CompletionResponse.OBJECT, job.createdEpochSecond(), job.modelId(), choices,
                GenerationService.usage(results));
    }

    /** Streams text chunks as they are generated; a client that goes away cancels at the next step. */
    public void stream(Prepared prepared, SseStream sse) {
        GenerationService.Job job = prepared.job();
        String id = id(job);
        int[] offsets = new int[job.choices()];
        generation.stream(job, sse, prepared.includeUsage(), choice -> GenerationService.streaming(sse, (text, logprobs) -> {
            CompletionLogprobs lp = prepared.logprobs() ? CompletionLogprobs.of(logprobs, offsets[choice]) : null;
            offsets[choice] += text.length();
            sse.send(chunk(id, job, new CompletionResponse.Choice(text, choice, lp, null), null));
        }), (choice, finish) -> chunk(id, job, new CompletionResponse.Choice("", choice, null, finish), null),
                usage -> chunk(id, job, null, usage));
    }

    private static CompletionResponse chunk(String id, GenerationService.Job job, CompletionResponse.Choice choice,
            Usage usage) {
        return new CompletionResponse(id, CompletionResponse.OBJECT, job.createdEpochSecond(), job.modelId(),
                choice == null ? List.of() : List.of(choice), usage);
    }

    private static String id(GenerationService.Job job) {
        return "cmpl-" + job.idHex();
    }

    private static String prompt(JsonNode prompt) {
        if (prompt == null || prompt.isNull()) {
            return "";
        }
        if (prompt.isTextual()) {
            return prompt.textValue();
        }
        if (prompt.isArray() && prompt.size() == 1 && prompt.get(0).isTextual()) {
            return prompt.get(0).textValue();
        }
        if (prompt.isArray() && prompt.size() > 1 && prompt.get(0).isTextual()) {
            throw OpenAiException.invalidValue("Only one prompt per request is supported; use 'n' for several choices.",
                    "prompt");
        }
        throw OpenAiException.invalidRequest("'prompt' must be a string.", "prompt");
    }
}
