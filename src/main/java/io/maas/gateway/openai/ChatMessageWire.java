package io.maas.gateway.openai;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.JsonNode;

/**
 * A chat message on the wire. {@code content} is a string or, as OpenAI allows, a list of parts of which
 * only {@code {"type":"text","text":…}} parts are understood here.
 */
@JsonIgnoreProperties(ignoreUnknown = true)
@JsonInclude(JsonInclude.Include.NON_NULL)
public record ChatMessageWire(String role, JsonNode content, String name) {
}
