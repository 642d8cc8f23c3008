package io.maas.billing.usage;

import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

import io.maas.billing.metering.UsageData;
import io.maas.billing.metering.UsageEvent;

/**
 * Writes a batch of usage events and their rollups on the caller's connection and transaction: events whose
 * id is already stored are skipped (and not counted again), so writing the same batch twice changes nothing.
 * One statement per table per batch ({@code unnest} of arrays), whatever the batch size.
 */
public final class UsageLedgerWriter {
    private static final String INSERT_EVENTS = """
            insert into usage_records (event_id, tenant_id, api_key_id, base_model, adapter, provider,
                tokens_prompt, tokens_completion, status, finish_reason, ttft_ms, duration_ms, trace_id,
                occurred_at, kafka_partition, kafka_offset)
            select * from unnest(?::uuid[], ?::varchar[], ?::uuid[], ?::text[], ?::text[], ?::text[], ?::int[],
                ?::int[], ?::varchar[], ?::varchar[], ?::bigint[], ?::bigint[], ?::varchar[], ?::timestamptz[],
                ?::int[], ?::bigint[])
            on conflict (event_id) do nothing
            returning event_id
            """;
    private static final String UPSERT_HOURLY = """
            insert into usage_rollups_hourly as r (tenant_id, base_model, adapter, hour, requests, tokens_prompt,
                tokens_completion)
            select * from unnest(?::varchar[], ?::text[], ?::text[], ?::timestamptz[], ?::bigint[], ?::bigint[],
                ?::bigint[])
            on conflict (tenant_id, base_model, adapter, hour) do update set
                requests = r.requests + excluded.requests,
                tokens_prompt = r.tokens_prompt + excluded.tokens_prompt,
                tokens_completion = r.tokens_completion + excluded.tokens_completion
            """;
    private static final String UPSERT_DAILY = """
            insert into usage_rollups_daily as r (tenant_id, base_model, adapter, day, requests, tokens_prompt,
                tokens_completion)
            select * from unnest(?::varchar[], ?::text[], ?::text[], ?::date[], ?::bigint[], ?::bigint[], ?::bigint[])
            on conflict (tenant_id, base_model, adapter, day) do update set
                requests = r.requests + excluded.requests,
                tokens_prompt = r.tokens_prompt + excluded.tokens_prompt,
                tokens_completion = r.tokens_completion + excluded.tokens_completion
            """;

    /** An event with where it was read from (null outside Kafka). */
    public record Delivered(UsageEvent event, Integer partition, Long offset) {
    }

    /** How many events of the batch were new, and how many were already stored. */
    public record Outcome(int inserted, int duplicates) {
    }

    /** The outcome, and the events of the batch that were new (first occurrence, batch order): the ones to rate. */
    public record Written(Outcome outcome, List<UsageEvent> fresh) {
    }

    private record RollupKey(String tenantId, String baseModel, String adapter, String bucket) {
    }

    private static final class Totals {
        long requests;
        long tokensPrompt;
        long tokensCompletion;
    }

    private UsageLedgerWriter() {
    }

    public static Outcome write(Connection connection, List<Delivered> batch) throws SQLException {
        return writeReturningFresh(connection, batch).outcome();
    }

    /** As {@link #write}, also returning the events that were new. */
    public static Written writeReturningFresh(Connection connection, List<Delivered> batch) throws SQLException {
        if (batch.isEmpty()) {
            return new Written(new Outcome(0, 0), List.of());
        }
        // First occurrence wins inside a batch too (a producer retry can put the same event twice in one poll).
        Map<UUID, Delivered> unique = new LinkedHashMap<>();
        for (Delivered d : batch) {
            unique.putIfAbsent(d.event().id(), d);
        }
        List<Delivered> rows = new ArrayList<>(unique.values());
        Set<UUID> inserted = insertEvents(connection, rows);
        List<UsageEvent> fresh = new ArrayList<>(inserted.size());
        for (Delivered d : rows) {
            if (inserted.contains(d.event().id())) {
                fresh.add(d.event());
            }
        }
        upsertRollups(connection, fresh, true);
        upsertRollups(connection, fresh, false);
        return new Written(new Outcome(inserted.size(), batch.size() - inserted.size()), List.copyOf(fresh));
    }

    private static Set<UUID> insertEvents(Connection c, List<Delivered> rows) throws SQLException {
        int n = rows.size();
        UUID[] ids = new UUID[n];
        String[] tenants = new String[n];
        UUID[] keys = new UUID[n];
        String[] models = new String[n];
        String[] adapters = new String[n];
        String[] providers = new String[n];
        Integer[] prompt = new Integer[n];
        Integer[] completion = new Integer[n];
        String[] status = new String[n];
        String[] finish = new String[n];
        Long[] ttft = new Long[n];
        Long[] duration = new Long[n];
        String[] trace = new String[n];
        String[] time = new String[n];
        Integer[] partition = new Integer[n];
        Long[] offset = new Long[n];
        for (int i = 0; i < n; i++) {
            Delivered d = rows.get(i);
            UsageData data = d.event().data();
            ids[i] = d.event().id();
            tenants[i] = data.tenantId();
            keys[i] = data.apiKeyId();
            models[i] = data.baseModel();
            adapters[i] = data.adapter();
            providers[i] = data.provider();
            prompt[i] = data.promptTokens();
            completion[i] = data.completionTokens();
            status[i] = data.status().wireName();
            finish[i] = data.finishReason();
            ttft[i] = data.timeToFirstTokenMs();
            duration[i] = data.durationMs();
            trace[i] = data.traceId();
            time[i] = d.event().time().toString();
            partition[i] = d.partition();
            offset[i] = d.offset();
        }
        Set<UUID> inserted = new HashSet<>();
        try (PreparedStatement ps = c.prepareStatement(INSERT_EVENTS)) {
            Object[][] columns = {ids, tenants, keys, models, adapters, providers, prompt, completion, status, finish,
                    ttft, duration, trace, time, partition, offset};
            String[] types = {"uuid", "varchar", "uuid", "text", "text", "text", "int4", "int4", "varchar", "varchar",
                    "int8", "int8", "varchar", "text", "int4", "int8"};
            bindArrays(c, ps, columns, types);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    inserted.add(rs.getObject(1, UUID.class));
                }
            }
        }
        return inserted;
    }

    private static void upsertRollups(Connection c, List<UsageEvent> events, boolean hourly) throws SQLException {
        if (events.isEmpty()) {
            return;
        }
        Map<RollupKey, Totals> totals = new LinkedHashMap<>();
        for (UsageEvent e : events) {
            UsageData data = e.data();
            Instant t = e.time();
            String bucket = hourly ? t.truncatedTo(ChronoUnit.HOURS).toString() : t.atOffset(ZoneOffset.UTC).toLocalDate().toString();
            Totals sum = totals.computeIfAbsent(new RollupKey(data.tenantId(), data.baseModel(),
                    data.adapter() == null ? "" : data.adapter(), bucket), k -> new Totals());
            sum.requests++;
            sum.tokensPrompt += data.promptTokens();
            sum.tokensCompletion += data.completionTokens();
        }
        int n = totals.size();
        String[] tenants = new String[n];
        String[] models = new String[n];
        String[] adapters = new String[n];
        String[] buckets = new String[n];
        Long[] requests = new Long[n];
        Long[] prompt = new Long[n];
        Long[] completion = new Long[n];
        int i = 0;
        for (var entry : totals.entrySet()) {
            tenants[i] = entry.getKey().tenantId();
            models[i] = entry.getKey().baseModel();
            adapters[i] = entry.getKey().adapter();
            buckets[i] = entry.getKey().bucket();
            requests[i] = entry.getValue().requests;
            prompt[i] = entry.getValue().tokensPrompt;
            completion[i] = entry.getValue().tokensCompletion;
            i++;
        }
        try (PreparedStatement ps = c.prepareStatement(hourly ? UPSERT_HOURLY : UPSERT_DAILY)) {
            bindArrays(c, ps, new Object[][] {tenants, models, adapters, buckets, requests, prompt, completion},
                    new String[] {"varchar", "text", "text", "text", "int8", "int8", "int8"});
            ps.executeUpdate();
        }
    }

    private static void bindArrays(Connection c, PreparedStatement ps, Object[][] columns, String[] types)
            throws SQLException {
        for (int col = 0; col < columns.length; col++) {
            Array array = c.createArrayOf(types[col], columns[col]);
            ps.setArray(col + 1, array);
        }
    }
}
