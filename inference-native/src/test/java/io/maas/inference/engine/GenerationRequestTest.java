package io.maas.inference.engine;

import io.maas.inference.InferenceException;
import io.maas.inference.InvalidGenerationParameterException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Request parameters: OpenAI's defaults and ranges, and errors that name the offending parameter. */
class GenerationRequestTest {

    private static GenerationRequest.Builder valid() {
        return GenerationRequest.builder().setPrompt("hi").setMaxTokens(5);
    }

    @Test
    void builderDefaultsAreOpenAis() {
        GenerationRequest r = valid().build();
        assertEquals("hi", r.prompt());
        assertEquals(5, r.maxTokens());
        assertEquals(1.0, r.temperature());
        assertEquals(1.0, r.topP());
        assertEquals(0, r.topK());
        assertEquals(OptionalLong.empty(), r.seed());
        assertEquals(List.of(), r.stop());
        assertEquals(0.0, r.presencePenalty());
        assertEquals(0.0, r.frequencyPenalty());
        assertFalse(r.logprobs());
        assertEquals(0, r.topLogprobs());
        assertFalse(r.greedy());
        assertEquals(Optional.empty(), r.adapter());
    }

    @Test
    void adapterIsOptionalAndNotBlank() {
        assertEquals(Optional.of("support"), valid().optAdapter("support").build().adapter());
        assertEquals(Optional.empty(), valid().optAdapter(null).build().adapter());
        assertEquals(Optional.empty(), new GenerationRequest("hi", 5).adapter());
        assertEquals(Optional.empty(), new GenerationRequest("hi", 5, 0, 1, 0, OptionalLong.empty(), List.of(), 0, 0,
                false, 0).adapter());
        InvalidGenerationParameterException e = assertThrows(InvalidGenerationParameterException.class,
                () -> valid().optAdapter(" ").build());
        assertEquals("model", e.param());
    }

    @Test
    void twoArgumentConstructorStaysGreedy() {
        GenerationRequest r = new GenerationRequest("hi", 5);
        assertEquals(0.0, r.temperature());
        assertTrue(r.greedy());
    }

    @Test
    void boundaryValuesAreAccepted() {
        GenerationRequest r = valid().optTemperature(2).optTopP(1).optTopK(1).optPresencePenalty(-2)
                .optFrequencyPenalty(2).optTopLogprobs(20).optSeed(-1)
                .optStop(List.of("a", "b", "c", "x".repeat(GenerationRequest.MAX_STOP_CHARS))).build();
        assertTrue(r.logprobs(), "top_logprobs turns logprobs on");
        assertEquals(OptionalLong.of(-1), r.seed());
        valid().optTemperature(0).optTopP(Double.MIN_VALUE).optPresencePenalty(2).optFrequencyPenalty(-2).build();
        assertTrue(valid().optLogprobs(true).build().logprobs());
    }

    @Test
    void invalidParametersAreRefusedNamingTheParameter() {
        assertInvalid("temperature", () -> valid().optTemperature(-0.01).build());
        assertInvalid("temperature", () -> valid().optTemperature(2.01).build());
        assertInvalid("temperature", () -> valid().optTemperature(Double.NaN).build());
        assertInvalid("top_p", () -> valid().optTopP(0).build());
        assertInvalid("top_p", () -> valid().optTopP(1.0001).build());
        assertInvalid("top_p", () -> valid().optTopP(Double.NaN).build());
        assertInvalid("top_k", () -> valid().optTopK(-1).build());
        assertInvalid("presence_penalty", () -> valid().optPresencePenalty(2.5).build());
        assertInvalid("presence_penalty", () -> valid().optPresencePenalty(-2.5).build());
        assertInvalid("frequency_penalty", () -> valid().optFrequencyPenalty(-2.01).build());
        assertInvalid("frequency_penalty", () -> valid().optFrequencyPenalty(Double.NaN).build());
        assertInvalid("top_logprobs", () -> valid().optTopLogprobs(21).build());
        assertInvalid("top_logprobs", () -> valid().optTopLogprobs(-1).build());
        assertInvalid("max_tokens", () -> valid().setMaxTokens(0).build());
        assertInvalid("max_tokens", () -> GenerationRequest.builder().setPrompt("hi").build());
        assertInvalid("prompt", () -> GenerationRequest.builder().setMaxTokens(3).build());
        assertInvalid("stop", () -> valid().optStop(List.of("a", "b", "c", "d", "e")).build());
        assertInvalid("stop", () -> valid().optStop(List.of("")).build());
        assertInvalid("stop", () -> valid().optStop(Arrays.asList("a", null)).build());
        assertInvalid("stop", () -> valid().optStop(List.of("x".repeat(GenerationRequest.MAX_STOP_CHARS + 1))).build());
        assertInvalid("stop", () -> valid().optStop(List.of("\uD83C")).build());
        assertInvalid("logprobs", () -> new GenerationRequest("hi", 5, 1, 1, 0, OptionalLong.empty(), List.of(),
                0, 0, false, 3));
    }

    @Test
    void stopListIsCopied() {
        List<String> stop = new ArrayList<>(List.of("END"));
        GenerationRequest r = valid().optStop(stop).build();
        stop.add("MORE");
        assertEquals(List.of("END"), r.stop());
        assertEquals(List.of(), valid().optStop(null).build().stop());
    }

    private static void assertInvalid(String param, Executable build) {
        InvalidGenerationParameterException e = assertThrows(InvalidGenerationParameterException.class, build);
        assertEquals(param, e.param(), e.getMessage());
        assertTrue(e.getMessage().contains(param), "the message names " + param + ": " + e.getMessage());
        assertTrue(e instanceof InferenceException);
    }
}
