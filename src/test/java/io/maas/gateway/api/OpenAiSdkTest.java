package io.maas.gateway.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.http.StreamResponse;
import com.openai.errors.NotFoundException;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import com.openai.models.chat.completions.ChatCompletionStreamOptions;
import com.openai.models.completions.Completion;
import com.openai.models.completions.CompletionCreateParams;
import com.openai.models.embeddings.CreateEmbeddingResponse;
import com.openai.models.embeddings.EmbeddingCreateParams;
import com.openai.models.models.Model;

import io.maas.testing.EmbeddedServicesResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;

/** The official OpenAI Java SDK, unchanged but for its base URL, against this server. */
@QuarkusTest
@QuarkusTestResource(value = EmbeddedServicesResource.class, restrictToAnnotatedClass = false)
class OpenAiSdkTest {
    @TestHTTPResource("/")
    java.net.URL base;

    private OpenAIClient client() {
        return OpenAIOkHttpClient.builder().baseUrl("http://127.0.0.1:" + base.getPort() + "/v1")
                .apiKey(EmbeddedServicesResource.ADMIN_KEY).maxRetries(0).build();
    }

    @Test
    void listsModels() {
        List<String> ids = client().models().list().data().stream().map(Model::id).toList();
        assertTrue(ids.contains("demo-tiny"), ids.toString());
    }

    @Test
    void createsACompletion() {
        Completion c = client().completions().create(CompletionCreateParams.builder().model("demo-tiny")
                .prompt("Once upon a time").maxTokens(5L).temperature(0.0).build());
        assertEquals(1, c.choices().size());
        assertEquals(5L, c.usage().orElseThrow().completionTokens());
        assertEquals(c.usage().orElseThrow().promptTokens() + 5L, c.usage().orElseThrow().totalTokens());
    }

    @Test
    void createsAChatCompletion() {
        ChatCompletion c = client().chat().completions().create(ChatCompletionCreateParams.builder().model("demo-tiny")
                .addSystemMessage("Be brief.").addUserMessage("Hello").maxCompletionTokens(4L).temperature(0.0).build());
        assertEquals(ChatCompletion.Choice.FinishReason.LENGTH, c.choices().get(0).finishReason());
        assertTrue(c.choices().get(0).message().content().isPresent());
        assertEquals(4L, c.usage().orElseThrow().completionTokens());
    }

    @Test
    void streamsAChatCompletionWithUsage() {
        ChatCompletionCreateParams params = ChatCompletionCreateParams.builder().model("demo-tiny")
                .addUserMessage("Tell me more").maxCompletionTokens(6L).temperature(0.0)
                .streamOptions(ChatCompletionStreamOptions.builder().includeUsage(true).build()).build();
        List<ChatCompletionChunk> chunks = new ArrayList<>();
        try (StreamResponse<ChatCompletionChunk> stream = client().chat().completions().createStreaming(params)) {
            stream.stream().forEach(chunks::add);
        }
        StringBuilder text = new StringBuilder();
        chunks.stream().filter(c -> !c.choices().isEmpty())
                .forEach(c -> c.choices().get(0).delta().content().ifPresent(text::append));
        ChatCompletionChunk last = chunks.get(chunks.size() - 1);
        assertTrue(last.choices().isEmpty());
        assertEquals(6L, last.usage().orElseThrow().completionTokens());
        String whole = client().chat().completions().create(ChatCompletionCreateParams.builder().model("demo-tiny")
                .addUserMessage("Tell me more").maxCompletionTokens(6L).temperature(0.0).build())
                .choices().get(0).message().content().orElse("");
        assertEquals(whole, text.toString());
    }

    @Test
    void createsEmbeddings() {
        CreateEmbeddingResponse r = client().embeddings().create(EmbeddingCreateParams.builder()
                .model(EmbeddedServicesResource.EMBEDDING_MODEL).input("The quick brown fox").build());
        assertEquals(1, r.data().size());
        assertEquals(384, r.data().get(0).embedding().size());
        assertTrue(r.usage().promptTokens() > 0);
    }

    @Test
    void anUnknownModelIsTheSdksNotFoundError() {
        NotFoundException e = assertThrows(NotFoundException.class, () -> client().completions()
                .create(CompletionCreateParams.builder().model("no-such-model").prompt("x").build()));
        assertEquals(404, e.statusCode());
        assertEquals("model_not_found", e.code().orElseThrow());
    }
}
