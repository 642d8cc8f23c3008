package io.maas.gateway.openai;

import java.io.IOException;
import java.util.stream.Collectors;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;

import io.maas.gateway.api.OpenAiException;

/**
 * Reads request bodies strictly enough to name the field at fault: malformed JSON and wrong types are
 * a 400 with {@code param} set, unknown fields are ignored.
 */
public final class WireJson {
    private static final ObjectMapper MAPPER = JsonMapper.builder()
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .disable(DeserializationFeature.ACCEPT_FLOAT_AS_INT)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
            .build();

    private WireJson() {
    }

    public static <T> T read(byte[] body, Class<T> type) {
        if (body == null || body.length == 0) {
            throw OpenAiException.invalidRequest("The request body is empty; send a JSON object.", null);
        }
        try {
            T value = MAPPER.readValue(body, type);
            if (value == null) {
                throw OpenAiException.invalidRequest("The request body must be a JSON object.", null);
            }
            return value;
        } catch (JsonMappingException e) {
            String param = e.getPath().stream()
                    .map(ref -> ref.getFieldName() != null ? ref.getFieldName() : "[" + ref.getIndex() + "]")
                    .collect(Collectors.joining("."));
            if (param.isEmpty()) {
                throw OpenAiException.invalidRequest("The request body must be a JSON object.", null);
            }
            throw OpenAiException.invalidRequest("Invalid type for '" + param + "': " + e.getOriginalMessage(), param);
        } catch (JsonProcessingException e) {
            throw OpenAiException.invalidRequest("We could not parse the JSON body of your request: "
                    + e.getOriginalMessage(), null);
        } catch (IOException e) {
            throw OpenAiException.invalidRequest("The request body could not be read.", null);
        }
    }
}
