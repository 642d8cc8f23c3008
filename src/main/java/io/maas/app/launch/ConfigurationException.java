package io.maas.app.launch;

/** A missing or wrong setting found before start; the message names the key. */
public class ConfigurationException extends RuntimeException {
    private final String key;

    public ConfigurationException(String key, String problem) {
        super(key + ": " + problem);
        this.key = key;
    }

    public String key() {
        return key;
    }
}
