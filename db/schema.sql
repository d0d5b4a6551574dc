-- GENERATED FILE: do not edit. Written by `npm run db:schema` (scripts/db-schema.ts).
--
-- The database schema as the numbered migrations (migrations/*.ts) leave it, read from a scratch
-- database migrated from empty: every table, index, function and trigger in one place. The
-- migrations remain the source of truth: change the schema with a new migration, then run
-- `npm run db:schema` and commit this file with it. CI (`npm run db:schema:check`) fails when
-- this file differs from what the migrations produce. Kysely's own kysely_migration* tables are
-- left out.

--
-- Extensions
--

CREATE EXTENSION IF NOT EXISTS pg_trgm WITH SCHEMA public;

--
-- Tables, each with its indexes
--

CREATE TABLE public.analytics_days (
    day date NOT NULL,
    messages integer DEFAULT 0 NOT NULL,
    senders integer DEFAULT 0 NOT NULL,
    first_replies integer DEFAULT 0 NOT NULL,
    first_reply_seconds integer[] DEFAULT '{}'::integer[] NOT NULL,
    attachments integer DEFAULT 0 NOT NULL,
    attachment_bytes bigint DEFAULT 0 NOT NULL,
    reports_opened integer DEFAULT 0 NOT NULL,
    resolved_dismiss integer DEFAULT 0 NOT NULL,
    resolved_warn integer DEFAULT 0 NOT NULL,
    resolved_suspend integer DEFAULT 0 NOT NULL,
    resolved_redact integer DEFAULT 0 NOT NULL,
    blocks integer DEFAULT 0 NOT NULL,
    computed_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT analytics_days_pkey PRIMARY KEY (day),
    CONSTRAINT analytics_days_check CHECK ((cardinality(first_reply_seconds) = first_replies))
);

CREATE TABLE public.analytics_day_conversations (
    day date NOT NULL,
    kind text NOT NULL,
    started integer NOT NULL,
    CONSTRAINT analytics_day_conversations_pkey PRIMARY KEY (day, kind),
    CONSTRAINT analytics_day_conversations_kind_check CHECK ((kind = ANY (ARRAY['direct'::text, 'group'::text]))),
    CONSTRAINT analytics_day_conversations_day_fkey FOREIGN KEY (day) REFERENCES public.analytics_days(day) ON DELETE CASCADE
);

CREATE TABLE public.analytics_rollup_state (
    only_row boolean DEFAULT true NOT NULL,
    rolled_through date,
    CONSTRAINT analytics_rollup_state_pkey PRIMARY KEY (only_row),
    CONSTRAINT analytics_rollup_state_only_row_check CHECK (only_row)
);

CREATE TABLE public.app_settings (
    key text NOT NULL,
    value text NOT NULL,
    CONSTRAINT app_settings_pkey PRIMARY KEY (key)
);

CREATE SEQUENCE public.audit_log_id_seq AS bigint;
CREATE TABLE public.audit_log (
    id bigint DEFAULT nextval('public.audit_log_id_seq'::regclass) NOT NULL,
    at timestamp with time zone DEFAULT now() NOT NULL,
    action text NOT NULL,
    actor_id bigint,
    subject_user_id bigint,
    conversation_id bigint,
    message_id bigint,
    report_id bigint,
    ip inet,
    detail jsonb,
    CONSTRAINT audit_log_pkey PRIMARY KEY (id)
);
ALTER SEQUENCE public.audit_log_id_seq OWNED BY public.audit_log.id;
CREATE INDEX audit_log_actor_idx ON public.audit_log USING btree (actor_id, id);
CREATE INDEX audit_log_blocked_idx ON public.audit_log USING btree (at) WHERE (action = 'user.blocked'::text);
CREATE INDEX audit_log_report_idx ON public.audit_log USING btree (report_id, id) WHERE (report_id IS NOT NULL);
CREATE INDEX audit_log_subject_idx ON public.audit_log USING btree (subject_user_id, id);

CREATE TABLE public.mail_outbox (
    id bigint NOT NULL GENERATED ALWAYS AS IDENTITY,
    recipient text NOT NULL,
    subject text NOT NULL,
    raw text NOT NULL,
    text_part text NOT NULL,
    html_part text NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT mail_outbox_pkey PRIMARY KEY (id)
);

CREATE TABLE public.message_search_counts (
    user_id bigint NOT NULL,
    hits integer NOT NULL,
    window_ends_at timestamp with time zone NOT NULL,
    CONSTRAINT message_search_counts_pkey PRIMARY KEY (user_id)
);

CREATE TABLE public.rate_limit_hits (
    key text NOT NULL,
    hits integer NOT NULL,
    reset_at timestamp with time zone NOT NULL,
    CONSTRAINT rate_limit_hits_pkey PRIMARY KEY (key)
);
CREATE INDEX rate_limit_hits_reset_idx ON public.rate_limit_hits USING btree (reset_at);

CREATE TABLE public.realtime_instances (
    id uuid NOT NULL,
    started_at timestamp with time zone DEFAULT now() NOT NULL,
    heartbeat_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT realtime_instances_pkey PRIMARY KEY (id)
);

CREATE TABLE public.session (
    sid character varying NOT NULL,
    sess json NOT NULL,
    expire timestamp(6) without time zone NOT NULL,
    user_id bigint GENERATED ALWAYS AS (((sess ->> 'userId'::text))::bigint) STORED,
    CONSTRAINT session_pkey PRIMARY KEY (sid)
);
CREATE INDEX session_expire_idx ON public.session USING btree (expire);
CREATE INDEX session_user_idx ON public.session USING btree (user_id) WHERE (user_id IS NOT NULL);

CREATE TABLE public.users (
    id bigint NOT NULL GENERATED ALWAYS AS IDENTITY,
    username text NOT NULL,
    display_name text NOT NULL,
    password_hash text NOT NULL,
    role text DEFAULT 'member'::text NOT NULL,
    avatar_version integer,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    suspended_until timestamp with time zone,
    email text,
    email_confirmed_at timestamp with time zone,
    time_zone text,
    headline text DEFAULT ''::text NOT NULL,
    admin_weekly_report boolean DEFAULT true NOT NULL,
    CONSTRAINT users_pkey PRIMARY KEY (id),
    CONSTRAINT users_username_key UNIQUE (username),
    CONSTRAINT users_display_name_check CHECK (((char_length(display_name) >= 1) AND (char_length(display_name) <= 50))),
    CONSTRAINT users_email_check CHECK (((email IS NULL) OR ((char_length(email) <= 254) AND (email ~ '^[^@[:space:]]+@[^@[:space:]]+$'::text)))),
    CONSTRAINT users_email_confirmed_check CHECK (((email_confirmed_at IS NULL) OR (email IS NOT NULL))),
    CONSTRAINT users_headline_check CHECK ((char_length(headline) <= 100)),
    CONSTRAINT users_role_check CHECK ((role = ANY (ARRAY['member'::text, 'admin'::text]))),
    CONSTRAINT users_username_check CHECK ((username ~ '^[a-z0-9_]{3,30}$'::text))
);
CREATE UNIQUE INDEX users_confirmed_email_idx ON public.users USING btree (lower(email)) WHERE (email_confirmed_at IS NOT NULL);
CREATE INDEX users_display_name_trgm_idx ON public.users USING gin (lower(display_name) public.gin_trgm_ops);
CREATE INDEX users_username_trgm_idx ON public.users USING gin (username public.gin_trgm_ops);

CREATE TABLE public.admin_weekly_reports (
    user_id bigint NOT NULL,
    week_start date NOT NULL,
    claimed_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT admin_weekly_reports_pkey PRIMARY KEY (user_id, week_start),
    CONSTRAINT admin_weekly_reports_week_start_check CHECK ((EXTRACT(isodow FROM week_start) = (1)::numeric)),
    CONSTRAINT admin_weekly_reports_user_id_fkey FOREIGN KEY (user_id) REFERENCES public.users(id) ON DELETE CASCADE
);

CREATE TABLE public.blocks (
    blocker_id bigint NOT NULL,
    blocked_id bigint NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT blocks_pkey PRIMARY KEY (blocker_id, blocked_id),
    CONSTRAINT blocks_check CHECK ((blocker_id <> blocked_id)),
    CONSTRAINT blocks_blocked_id_fkey FOREIGN KEY (blocked_id) REFERENCES public.users(id) ON DELETE CASCADE,
    CONSTRAINT blocks_blocker_id_fkey FOREIGN KEY (blocker_id) REFERENCES public.users(id) ON DELETE CASCADE
);
CREATE INDEX blocks_blocked_idx ON public.blocks USING btree (blocked_id, blocker_id);

CREATE TABLE public.connections (
    user_low bigint NOT NULL,
    user_high bigint NOT NULL,
    requested_by bigint NOT NULL,
    status text NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    accepted_at timestamp with time zone,
    CONSTRAINT connections_pkey PRIMARY KEY (user_low, user_high),
    CONSTRAINT connections_check CHECK ((user_low < user_high)),
    CONSTRAINT connections_check1 CHECK (((requested_by = user_low) OR (requested_by = user_high))),
    CONSTRAINT connections_check2 CHECK (((status = 'accepted'::text) = (accepted_at IS NOT NULL))),
    CONSTRAINT connections_status_check CHECK ((status = ANY (ARRAY['pending'::text, 'accepted'::text]))),
    CONSTRAINT connections_user_high_fkey FOREIGN KEY (user_high) REFERENCES public.users(id) ON DELETE CASCADE,
    CONSTRAINT connections_user_low_fkey FOREIGN KEY (user_low) REFERENCES public.users(id) ON DELETE CASCADE
);
CREATE INDEX connections_high_idx ON public.connections USING btree (user_high, user_low);

CREATE TABLE public.conversations (
    id bigint NOT NULL GENERATED ALWAYS AS IDENTITY,
    user_low bigint,
    user_high bigint,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    last_message_id bigint,
    last_sender_id bigint,
    version bigint DEFAULT 0 NOT NULL,
    created_by bigint,
    kind text DEFAULT 'direct'::text NOT NULL,
    name text,
    CONSTRAINT conversations_pkey PRIMARY KEY (id),
    CONSTRAINT conversations_user_low_user_high_key UNIQUE (user_low, user_high),
    CONSTRAINT conversations_check CHECK ((user_low < user_high)),
    CONSTRAINT conversations_kind_check CHECK ((kind = ANY (ARRAY['direct'::text, 'group'::text, 'support'::text]))),
    CONSTRAINT conversations_kind_name CHECK (((kind = 'group'::text) = (name IS NOT NULL))),
    CONSTRAINT conversations_kind_pair CHECK (((kind = 'direct'::text) = ((user_low IS NOT NULL) AND (user_high IS NOT NULL)))),
    CONSTRAINT conversations_name_check CHECK (((name IS NULL) OR ((char_length(name) >= 1) AND (char_length(name) <= 80)))),
    CONSTRAINT conversations_created_by_fkey FOREIGN KEY (created_by) REFERENCES public.users(id) ON DELETE SET NULL,
    CONSTRAINT conversations_user_high_fkey FOREIGN KEY (user_high) REFERENCES public.users(id) ON DELETE CASCADE,
    CONSTRAINT conversations_user_low_fkey FOREIGN KEY (user_low) REFERENCES public.users(id) ON DELETE CASCADE
);
CREATE INDEX conversations_created_by_idx ON public.conversations USING btree (created_by, created_at) WHERE (created_by IS NOT NULL);
CREATE INDEX conversations_created_idx ON public.conversations USING btree (created_at);
CREATE UNIQUE INDEX conversations_support_idx ON public.conversations USING btree (created_by) WHERE (kind = 'support'::text);

CREATE TABLE public.conversation_participants (
    conversation_id bigint NOT NULL,
    user_id bigint NOT NULL,
    other_user_id bigint,
    last_activity_at timestamp with time zone,
    latest_incoming_message_id bigint DEFAULT 0 NOT NULL,
    last_read_message_id bigint DEFAULT 0 NOT NULL,
    last_delivered_message_id bigint DEFAULT 0 NOT NULL,
    marked_unread boolean DEFAULT false NOT NULL,
    archived_at timestamp with time zone,
    pinned_at timestamp with time zone,
    muted_at timestamp with time zone,
    cleared_before_message_id bigint DEFAULT 0 NOT NULL,
    emailed_upto_message_id bigint DEFAULT 0 NOT NULL,
    role text DEFAULT 'member'::text NOT NULL,
    joined_at timestamp with time zone DEFAULT now() NOT NULL,
    left_upto_message_id bigint,
    CONSTRAINT conversation_participants_pkey PRIMARY KEY (conversation_id, user_id),
    CONSTRAINT conversation_participants_role_check CHECK ((role = ANY (ARRAY['admin'::text, 'member'::text]))),
    CONSTRAINT conversation_participants_conversation_id_fkey FOREIGN KEY (conversation_id) REFERENCES public.conversations(id) ON DELETE CASCADE,
    CONSTRAINT conversation_participants_other_user_id_fkey FOREIGN KEY (other_user_id) REFERENCES public.users(id) ON DELETE CASCADE,
    CONSTRAINT conversation_participants_user_id_fkey FOREIGN KEY (user_id) REFERENCES public.users(id) ON DELETE CASCADE
);
CREATE INDEX conversation_participants_archived_idx ON public.conversation_participants USING btree (user_id, last_activity_at DESC, conversation_id DESC) WHERE ((archived_at IS NOT NULL) AND (last_activity_at IS NOT NULL));
CREATE INDEX conversation_participants_badge_idx ON public.conversation_participants USING btree (user_id) WHERE (((latest_incoming_message_id > last_read_message_id) OR marked_unread) AND (muted_at IS NULL));
CREATE INDEX conversation_participants_inbox_idx ON public.conversation_participants USING btree (user_id, last_activity_at DESC, conversation_id DESC) WHERE (last_activity_at IS NOT NULL);
CREATE INDEX conversation_participants_members_idx ON public.conversation_participants USING btree (conversation_id, joined_at, user_id) WHERE (left_upto_message_id IS NULL);
CREATE INDEX conversation_participants_newest_idx ON public.conversation_participants USING btree (user_id, GREATEST(latest_incoming_message_id, last_read_message_id) DESC);
CREATE INDEX conversation_participants_other_idx ON public.conversation_participants USING btree (other_user_id, user_id);
CREATE INDEX conversation_participants_pinned_idx ON public.conversation_participants USING btree (user_id, pinned_at) WHERE (pinned_at IS NOT NULL);
CREATE INDEX conversation_participants_undelivered_idx ON public.conversation_participants USING btree (user_id) WHERE (last_delivered_message_id < latest_incoming_message_id);
CREATE INDEX conversation_participants_unemailed_idx ON public.conversation_participants USING btree (user_id) WHERE ((latest_incoming_message_id > GREATEST(last_read_message_id, emailed_upto_message_id)) AND (muted_at IS NULL));
CREATE INDEX conversation_participants_unread_tab_idx ON public.conversation_participants USING btree (user_id, last_activity_at DESC, conversation_id DESC) WHERE (((latest_incoming_message_id > last_read_message_id) OR marked_unread) AND (last_activity_at IS NOT NULL));

CREATE TABLE public.email_tokens (
    token_hash bytea NOT NULL,
    user_id bigint NOT NULL,
    purpose text NOT NULL,
    email text NOT NULL,
    expires_at timestamp with time zone NOT NULL,
    used_at timestamp with time zone,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT email_tokens_pkey PRIMARY KEY (token_hash),
    CONSTRAINT email_tokens_purpose_check CHECK ((purpose = ANY (ARRAY['confirm'::text, 'reset'::text]))),
    CONSTRAINT email_tokens_user_id_fkey FOREIGN KEY (user_id) REFERENCES public.users(id) ON DELETE CASCADE
);
CREATE INDEX email_tokens_expiry_idx ON public.email_tokens USING btree (expires_at);
CREATE INDEX email_tokens_user_idx ON public.email_tokens USING btree (user_id, purpose);

CREATE TABLE public.event_streams (
    id uuid NOT NULL,
    user_id bigint NOT NULL,
    instance_id uuid NOT NULL,
    opened_at timestamp with time zone DEFAULT clock_timestamp() NOT NULL,
    visible boolean DEFAULT true NOT NULL,
    CONSTRAINT event_streams_pkey PRIMARY KEY (id),
    CONSTRAINT event_streams_instance_id_fkey FOREIGN KEY (instance_id) REFERENCES public.realtime_instances(id) ON DELETE CASCADE,
    CONSTRAINT event_streams_user_id_fkey FOREIGN KEY (user_id) REFERENCES public.users(id) ON DELETE CASCADE
);
CREATE INDEX event_streams_user_idx ON public.event_streams USING btree (user_id, opened_at);

CREATE TABLE public.meeting_feeds (
    user_id bigint NOT NULL,
    token text NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT meeting_feeds_pkey PRIMARY KEY (user_id),
    CONSTRAINT meeting_feeds_token_key UNIQUE (token),
    CONSTRAINT meeting_feeds_token_check CHECK ((char_length(token) >= 32)),
    CONSTRAINT meeting_feeds_user_id_fkey FOREIGN KEY (user_id) REFERENCES public.users(id) ON DELETE CASCADE
);

CREATE TABLE public.messaging_preferences (
    user_id bigint NOT NULL,
    read_receipts boolean DEFAULT true NOT NULL,
    typing_indicators boolean DEFAULT true NOT NULL,
    active_status boolean DEFAULT true NOT NULL,
    email_messages text DEFAULT 'after_10_minutes'::text NOT NULL,
    email_digest text DEFAULT 'off'::text NOT NULL,
    email_preview boolean DEFAULT true NOT NULL,
    push boolean DEFAULT true NOT NULL,
    digest_sent_at timestamp with time zone,
    meeting_reminder_minutes smallint DEFAULT 15 NOT NULL,
    CONSTRAINT messaging_preferences_pkey PRIMARY KEY (user_id),
    CONSTRAINT messaging_preferences_email_digest_check CHECK ((email_digest = ANY (ARRAY['off'::text, 'daily'::text, 'weekly'::text]))),
    CONSTRAINT messaging_preferences_email_messages_check CHECK ((email_messages = ANY (ARRAY['off'::text, 'after_10_minutes'::text, 'after_1_hour'::text]))),
    CONSTRAINT messaging_preferences_meeting_reminder_minutes_check CHECK ((meeting_reminder_minutes = ANY (ARRAY[0, 5, 15, 60]))),
    CONSTRAINT messaging_preferences_user_id_fkey FOREIGN KEY (user_id) REFERENCES public.users(id) ON DELETE CASCADE
);

CREATE TABLE public.presence (
    user_id bigint NOT NULL,
    instance_id uuid NOT NULL,
    since timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT presence_pkey PRIMARY KEY (user_id, instance_id),
    CONSTRAINT presence_instance_id_fkey FOREIGN KEY (instance_id) REFERENCES public.realtime_instances(id) ON DELETE CASCADE,
    CONSTRAINT presence_user_id_fkey FOREIGN KEY (user_id) REFERENCES public.users(id) ON DELETE CASCADE
);

CREATE TABLE public.push_subscriptions (
    id bigint NOT NULL GENERATED ALWAYS AS IDENTITY,
    user_id bigint NOT NULL,
    endpoint text NOT NULL,
    p256dh text NOT NULL,
    auth text NOT NULL,
    session_key text NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT push_subscriptions_pkey PRIMARY KEY (id),
    CONSTRAINT push_subscriptions_endpoint_key UNIQUE (endpoint),
    CONSTRAINT push_subscriptions_user_id_fkey FOREIGN KEY (user_id) REFERENCES public.users(id) ON DELETE CASCADE
);
CREATE INDEX push_subscriptions_user_idx ON public.push_subscriptions USING btree (user_id);

CREATE SEQUENCE public.reports_id_seq AS bigint;
CREATE TABLE public.reports (
    id bigint DEFAULT nextval('public.reports_id_seq'::regclass) NOT NULL,
    reporter_id bigint NOT NULL,
    reported_id bigint NOT NULL,
    conversation_id bigint,
    reason text NOT NULL,
    details text DEFAULT ''::text NOT NULL,
    status text DEFAULT 'open'::text NOT NULL,
    resolution text,
    resolved_by bigint,
    resolved_at timestamp with time zone,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT reports_pkey PRIMARY KEY (id),
    CONSTRAINT reports_reason_check CHECK ((reason = ANY (ARRAY['spam'::text, 'harassment'::text, 'other'::text]))),
    CONSTRAINT reports_resolution_check CHECK ((resolution = ANY (ARRAY['dismiss'::text, 'warn'::text, 'suspend'::text, 'redact'::text]))),
    CONSTRAINT reports_status_check CHECK ((status = ANY (ARRAY['open'::text, 'resolved'::text]))),
    CONSTRAINT reports_conversation_id_fkey FOREIGN KEY (conversation_id) REFERENCES public.conversations(id) ON DELETE SET NULL,
    CONSTRAINT reports_reported_id_fkey FOREIGN KEY (reported_id) REFERENCES public.users(id) ON DELETE CASCADE,
    CONSTRAINT reports_reporter_id_fkey FOREIGN KEY (reporter_id) REFERENCES public.users(id) ON DELETE CASCADE,
    CONSTRAINT reports_resolved_by_fkey FOREIGN KEY (resolved_by) REFERENCES public.users(id) ON DELETE SET NULL
);
ALTER SEQUENCE public.reports_id_seq OWNED BY public.reports.id;
CREATE INDEX reports_created_idx ON public.reports USING btree (created_at);
CREATE INDEX reports_reported_idx ON public.reports USING btree (reported_id);
CREATE INDEX reports_reporter_time_idx ON public.reports USING btree (reporter_id, created_at);
CREATE INDEX reports_resolved_idx ON public.reports USING btree (resolved_at) WHERE (resolved_at IS NOT NULL);
CREATE INDEX reports_status_idx ON public.reports USING btree (status, id DESC);

CREATE SEQUENCE public.moderation_notices_id_seq AS bigint;
CREATE TABLE public.moderation_notices (
    id bigint DEFAULT nextval('public.moderation_notices_id_seq'::regclass) NOT NULL,
    user_id bigint NOT NULL,
    report_id bigint,
    kind text NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    acknowledged_at timestamp with time zone,
    CONSTRAINT moderation_notices_pkey PRIMARY KEY (id),
    CONSTRAINT moderation_notices_kind_check CHECK ((kind = 'warning'::text)),
    CONSTRAINT moderation_notices_report_id_fkey FOREIGN KEY (report_id) REFERENCES public.reports(id) ON DELETE SET NULL,
    CONSTRAINT moderation_notices_user_id_fkey FOREIGN KEY (user_id) REFERENCES public.users(id) ON DELETE CASCADE
);
ALTER SEQUENCE public.moderation_notices_id_seq OWNED BY public.moderation_notices.id;
CREATE INDEX moderation_notices_pending_idx ON public.moderation_notices USING btree (user_id) WHERE (acknowledged_at IS NULL);

CREATE TABLE public.report_evidence (
    report_id bigint NOT NULL,
    message_id bigint NOT NULL,
    sender_id bigint NOT NULL,
    body text,
    sent_at timestamp with time zone NOT NULL,
    CONSTRAINT report_evidence_pkey PRIMARY KEY (report_id, message_id),
    CONSTRAINT report_evidence_report_id_fkey FOREIGN KEY (report_id) REFERENCES public.reports(id) ON DELETE CASCADE
);

CREATE TABLE public.saved_replies (
    id bigint NOT NULL GENERATED ALWAYS AS IDENTITY,
    user_id bigint NOT NULL,
    title text NOT NULL,
    body text NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT saved_replies_pkey PRIMARY KEY (id),
    CONSTRAINT saved_replies_body_check CHECK (((char_length(body) >= 1) AND (char_length(body) <= 5000))),
    CONSTRAINT saved_replies_title_check CHECK (((char_length(title) >= 1) AND (char_length(title) <= 80))),
    CONSTRAINT saved_replies_user_id_fkey FOREIGN KEY (user_id) REFERENCES public.users(id) ON DELETE CASCADE
);
CREATE INDEX saved_replies_user_title_idx ON public.saved_replies USING btree (user_id, lower(title), id);

CREATE TABLE public.user_activity (
    user_id bigint NOT NULL,
    last_active_at timestamp with time zone NOT NULL,
    CONSTRAINT user_activity_pkey PRIMARY KEY (user_id),
    CONSTRAINT user_activity_user_id_fkey FOREIGN KEY (user_id) REFERENCES public.users(id) ON DELETE CASCADE
);

CREATE TABLE public.user_avatars (
    user_id bigint NOT NULL,
    small bytea NOT NULL,
    large bytea NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    mail bytea,
    CONSTRAINT user_avatars_pkey PRIMARY KEY (user_id),
    CONSTRAINT user_avatars_user_id_fkey FOREIGN KEY (user_id) REFERENCES public.users(id) ON DELETE CASCADE
);

CREATE TABLE public.attachment_chunks (
    attachment_id bigint NOT NULL,
    variant text NOT NULL,
    seq integer NOT NULL,
    data bytea NOT NULL,
    CONSTRAINT attachment_chunks_pkey PRIMARY KEY (attachment_id, variant, seq),
    CONSTRAINT attachment_chunks_variant_check CHECK ((variant = ANY (ARRAY['original'::text, 'display'::text, 'thumb'::text])))
);
ALTER TABLE ONLY public.attachment_chunks ALTER COLUMN data SET STORAGE EXTERNAL;

CREATE TABLE public.attachments (
    id bigint NOT NULL GENERATED ALWAYS AS IDENTITY,
    conversation_id bigint NOT NULL,
    uploader_id bigint NOT NULL,
    message_id bigint,
    kind text NOT NULL,
    name text NOT NULL,
    mime text NOT NULL,
    size_bytes bigint DEFAULT 0 NOT NULL,
    width integer,
    height integer,
    complete boolean DEFAULT false NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    upload_bytes bigint DEFAULT 0 NOT NULL,
    CONSTRAINT attachments_pkey PRIMARY KEY (id),
    CONSTRAINT attachments_kind_check CHECK ((kind = ANY (ARRAY['image'::text, 'file'::text]))),
    CONSTRAINT attachments_name_check CHECK (((char_length(name) >= 1) AND (char_length(name) <= 255))),
    CONSTRAINT attachments_conversation_id_fkey FOREIGN KEY (conversation_id) REFERENCES public.conversations(id) ON DELETE CASCADE,
    CONSTRAINT attachments_uploader_id_fkey FOREIGN KEY (uploader_id) REFERENCES public.users(id) ON DELETE CASCADE
);
CREATE INDEX attachments_files_idx ON public.attachments USING btree (conversation_id, lower(name), id) WHERE (message_id IS NOT NULL);
CREATE INDEX attachments_message_idx ON public.attachments USING btree (message_id) WHERE (message_id IS NOT NULL);
CREATE INDEX attachments_pending_idx ON public.attachments USING btree (created_at) WHERE (message_id IS NULL);
CREATE INDEX attachments_upload_quota_idx ON public.attachments USING btree (uploader_id, created_at) INCLUDE (upload_bytes);

CREATE TABLE public.meeting_answers (
    meeting_id bigint NOT NULL,
    user_id bigint NOT NULL,
    answer text NOT NULL,
    answered_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT meeting_answers_pkey PRIMARY KEY (meeting_id, user_id),
    CONSTRAINT meeting_answers_answer_check CHECK ((answer = ANY (ARRAY['yes'::text, 'no'::text, 'maybe'::text]))),
    CONSTRAINT meeting_answers_user_id_fkey FOREIGN KEY (user_id) REFERENCES public.users(id) ON DELETE CASCADE
);

CREATE TABLE public.meeting_reminders (
    meeting_id bigint NOT NULL,
    user_id bigint NOT NULL,
    starts_at timestamp with time zone NOT NULL,
    sent_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT meeting_reminders_pkey PRIMARY KEY (meeting_id, user_id, starts_at),
    CONSTRAINT meeting_reminders_user_id_fkey FOREIGN KEY (user_id) REFERENCES public.users(id) ON DELETE CASCADE
);

CREATE TABLE public.meetings (
    id bigint NOT NULL GENERATED ALWAYS AS IDENTITY,
    conversation_id bigint NOT NULL,
    organiser_id bigint NOT NULL,
    title text NOT NULL,
    starts_at timestamp with time zone NOT NULL,
    time_zone text NOT NULL,
    minutes integer NOT NULL,
    link text,
    notes text DEFAULT ''::text NOT NULL,
    sequence integer DEFAULT 0 NOT NULL,
    cancelled_at timestamp with time zone,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    client_id uuid,
    card_message_id bigint,
    CONSTRAINT meetings_pkey PRIMARY KEY (id),
    CONSTRAINT meetings_link_check CHECK (((link IS NULL) OR ((link ~~ 'https://%'::text) AND (char_length(link) <= 2000)))),
    CONSTRAINT meetings_minutes_check CHECK (((minutes >= 5) AND (minutes <= 720))),
    CONSTRAINT meetings_notes_check CHECK ((char_length(notes) <= 2000)),
    CONSTRAINT meetings_time_zone_check CHECK (((char_length(time_zone) >= 1) AND (char_length(time_zone) <= 64))),
    CONSTRAINT meetings_title_check CHECK (((char_length(title) >= 1) AND (char_length(title) <= 120))),
    CONSTRAINT meetings_conversation_id_fkey FOREIGN KEY (conversation_id) REFERENCES public.conversations(id) ON DELETE CASCADE,
    CONSTRAINT meetings_organiser_id_fkey FOREIGN KEY (organiser_id) REFERENCES public.users(id) ON DELETE CASCADE
);
CREATE UNIQUE INDEX meetings_client_id_idx ON public.meetings USING btree (organiser_id, client_id) WHERE (client_id IS NOT NULL);
CREATE INDEX meetings_conversation_idx ON public.meetings USING btree (conversation_id, starts_at, id);
CREATE INDEX meetings_upcoming_idx ON public.meetings USING btree (starts_at) WHERE (cancelled_at IS NULL);

CREATE TABLE public.messages (
    id bigint NOT NULL GENERATED ALWAYS AS IDENTITY,
    conversation_id bigint NOT NULL,
    sender_id bigint NOT NULL,
    body text,
    client_id uuid,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    deleted_at timestamp with time zone,
    redacted_at timestamp with time zone,
    search_keys tsvector DEFAULT ''::tsvector NOT NULL,
    edited_at timestamp with time zone,
    reply_to_id bigint,
    meeting_id bigint,
    event jsonb,
    CONSTRAINT messages_pkey PRIMARY KEY (id),
    CONSTRAINT messages_body_check CHECK ((((deleted_at IS NULL) AND (redacted_at IS NULL) AND (char_length(body) <= 5000)) OR (((deleted_at IS NOT NULL) OR (redacted_at IS NOT NULL)) AND (body IS NULL)))),
    CONSTRAINT messages_event_check CHECK (((event IS NULL) OR (jsonb_typeof(event) = 'object'::text))),
    CONSTRAINT messages_conversation_id_fkey FOREIGN KEY (conversation_id) REFERENCES public.conversations(id) ON DELETE CASCADE,
    CONSTRAINT messages_meeting_id_fkey FOREIGN KEY (meeting_id) REFERENCES public.meetings(id) ON DELETE CASCADE,
    CONSTRAINT messages_reply_to_id_fkey FOREIGN KEY (reply_to_id) REFERENCES public.messages(id) ON DELETE SET NULL,
    CONSTRAINT messages_sender_id_fkey FOREIGN KEY (sender_id) REFERENCES public.users(id) ON DELETE CASCADE
);
CREATE UNIQUE INDEX messages_client_id_idx ON public.messages USING btree (sender_id, client_id) WHERE (client_id IS NOT NULL);
CREATE INDEX messages_conversation_idx ON public.messages USING btree (conversation_id, id);
CREATE INDEX messages_created_brin ON public.messages USING brin (created_at);
CREATE INDEX messages_meeting_idx ON public.messages USING btree (meeting_id) WHERE (meeting_id IS NOT NULL);
CREATE INDEX messages_search_keys_idx ON public.messages USING gin (search_keys) WITH (fastupdate=off);
CREATE INDEX messages_sender_time_idx ON public.messages USING btree (sender_id, created_at);

CREATE TABLE public.message_reactions (
    message_id bigint NOT NULL,
    user_id bigint NOT NULL,
    emoji text NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT message_reactions_pkey PRIMARY KEY (message_id, user_id, emoji),
    CONSTRAINT message_reactions_emoji_check CHECK ((emoji = ANY (ARRAY['👍'::text, '❤️'::text, '😂'::text, '😮'::text, '😢'::text, '🙏'::text]))),
    CONSTRAINT message_reactions_message_id_fkey FOREIGN KEY (message_id) REFERENCES public.messages(id) ON DELETE CASCADE,
    CONSTRAINT message_reactions_user_id_fkey FOREIGN KEY (user_id) REFERENCES public.users(id) ON DELETE CASCADE
);
CREATE INDEX message_reactions_user_idx ON public.message_reactions USING btree (user_id);

--
-- Foreign keys that close a cycle between tables
--

ALTER TABLE ONLY public.attachment_chunks
    ADD CONSTRAINT attachment_chunks_attachment_id_fkey FOREIGN KEY (attachment_id) REFERENCES public.attachments(id) ON DELETE CASCADE;
ALTER TABLE ONLY public.attachments
    ADD CONSTRAINT attachments_message_id_fkey FOREIGN KEY (message_id) REFERENCES public.messages(id) ON DELETE CASCADE;
ALTER TABLE ONLY public.meeting_answers
    ADD CONSTRAINT meeting_answers_meeting_id_fkey FOREIGN KEY (meeting_id) REFERENCES public.meetings(id) ON DELETE CASCADE;
ALTER TABLE ONLY public.meeting_reminders
    ADD CONSTRAINT meeting_reminders_meeting_id_fkey FOREIGN KEY (meeting_id) REFERENCES public.meetings(id) ON DELETE CASCADE;
ALTER TABLE ONLY public.meetings
    ADD CONSTRAINT meetings_card_message_id_fkey FOREIGN KEY (card_message_id) REFERENCES public.messages(id) ON DELETE SET NULL;

--
-- Functions
--

CREATE OR REPLACE FUNCTION public.audit_conversation_created()
 RETURNS trigger
 LANGUAGE plpgsql
AS $function$
    begin
      insert into audit_log (action, actor_id, subject_user_id, conversation_id)
      values ('conversation.created', new.created_by,
              case when new.kind <> 'direct' then null when new.created_by = new.user_low then new.user_high else new.user_low end, new.id);
      return null;
    end $function$;

CREATE OR REPLACE FUNCTION public.audit_message_written()
 RETURNS trigger
 LANGUAGE plpgsql
AS $function$
    declare
      recipient bigint;
    begin
      select case when c.user_low = new.sender_id then c.user_high else c.user_low end
        into recipient from conversations c where c.id = new.conversation_id;
      if tg_op = 'INSERT' then
        insert into audit_log (action, actor_id, subject_user_id, conversation_id, message_id, at)
        values ('message.sent', new.sender_id, recipient, new.conversation_id, new.id, new.created_at);
      elsif new.deleted_at is not null and old.deleted_at is null and new.redacted_at is null then
        insert into audit_log (action, actor_id, subject_user_id, conversation_id, message_id)
        values ('message.deleted', new.sender_id, recipient, new.conversation_id, new.id);
      end if;
      return null;
    end $function$;

CREATE OR REPLACE FUNCTION public.courier_audience(p_conversation_id bigint)
 RETURNS bigint[]
 LANGUAGE sql
 STABLE PARALLEL SAFE
AS $function$
      select case when c.kind = 'direct' then array[c.user_low, c.user_high]
                  else (select coalesce(array_agg(p.user_id order by p.user_id), '{}') from conversation_participants p
                         where p.conversation_id = c.id and p.left_upto_message_id is null) end
        from conversations c where c.id = p_conversation_id
    $function$;

CREATE OR REPLACE FUNCTION public.courier_blocked_pairs(p_ids bigint[])
 RETURNS TABLE(blocker_id bigint, blocked_id bigint)
 LANGUAGE sql
 STABLE
AS $function$
      select b.blocker_id, b.blocked_id from blocks b where b.blocker_id = any(p_ids) and b.blocked_id = any(p_ids)
    $function$;

CREATE OR REPLACE FUNCTION public.courier_may_write(p_from bigint, p_to bigint)
 RETURNS boolean
 LANGUAGE sql
 STABLE
AS $function$
      select not exists (select 1 from users u where u.id = p_from and u.suspended_until > now())
         and not exists (select 1 from blocks b
                          where (b.blocker_id = p_from and b.blocked_id = p_to)
                             or (b.blocker_id = p_to and b.blocked_id = p_from))
    $function$;

CREATE OR REPLACE FUNCTION public.courier_meeting_card(p_meeting_id bigint)
 RETURNS json
 LANGUAGE sql
 STABLE PARALLEL SAFE STRICT
AS $function$
        select json_build_object(
                 'id', g.id, 'organiser_id', g.organiser_id, 'title', g.title, 'starts_at', g.starts_at, 'time_zone', g.time_zone,
                 'minutes', g.minutes, 'link', g.link, 'notes', g.notes, 'cancelled_at', g.cancelled_at, 'card_message_id', g.card_message_id,
                 'answers', coalesce((select json_agg(json_build_object('user_id', a.user_id, 'answer', a.answer) order by a.answered_at)
                                        from meeting_answers a where a.meeting_id = g.id), '[]'::json))
          from meetings g where g.id = p_meeting_id
      $function$;

CREATE OR REPLACE FUNCTION public.courier_message_quote(p_message_id bigint)
 RETURNS json
 LANGUAGE sql
 STABLE PARALLEL SAFE STRICT
AS $function$
        select json_build_object('id', q.id, 'sender_id', q.sender_id, 'body', case when q.deleted_at is null and q.redacted_at is null then left(q.body, 200) end)
          from messages q where q.id = p_message_id
      $function$;

CREATE OR REPLACE FUNCTION public.courier_message_search_keys()
 RETURNS trigger
 LANGUAGE plpgsql
AS $function$
    begin
      new.search_keys := case when new.body is null then ''::tsvector
                              else (select case when c.kind = 'direct' then courier_search_keys(new.body, c.user_low, c.user_high)
                                                else coalesce(array_to_tsvector(array(
                                                       select 'g' || c.id || ':' || word.lexeme
                                                         from unnest(to_tsvector('simple', translate(new.body, '<>&', '   '))) word)), ''::tsvector) end
                                      from conversations c where c.id = new.conversation_id) end;
      return new;
    end
    $function$;

CREATE OR REPLACE FUNCTION public.courier_open_stream(p_id uuid, p_user_id bigint, p_instance_id uuid, p_max integer, p_lock_space integer, p_channel text)
 RETURNS SETOF uuid
 LANGUAGE plpgsql
AS $function$
    begin
      perform pg_advisory_xact_lock(p_lock_space, (p_user_id % 2147483647)::int);
      insert into event_streams (id, user_id, instance_id) values (p_id, p_user_id, p_instance_id);
      return query
        with excess as (
          select s.id
            from event_streams s join realtime_instances i on i.id = s.instance_id
           where s.user_id = p_user_id
           order by (i.heartbeat_at > now() - interval '45 seconds') desc, s.opened_at desc, s.id desc
          offset p_max
        ),
        ended as (delete from event_streams s using excess where s.id = excess.id returning s.id)
        select ended.id from ended, lateral (
          select pg_notify(p_channel, json_build_object('t', 'stream-end', 'u', p_user_id, 's', ended.id)::text)
        ) told;
    end
    $function$;

CREATE OR REPLACE FUNCTION public.courier_person_changed()
 RETURNS trigger
 LANGUAGE plpgsql
AS $function$
    begin
      perform pg_notify('courier_events', json_build_object('t', 'person', 'u', old.id)::text);
      return null;
    end
    $function$;

CREATE OR REPLACE FUNCTION public.courier_search_keys(p_body text, p_user_low bigint, p_user_high bigint)
 RETURNS tsvector
 LANGUAGE sql
 IMMUTABLE PARALLEL SAFE
AS $function$
      select coalesce(array_to_tsvector(array(
               select person::text || ':' || word.lexeme
                 from unnest(to_tsvector('simple', translate(p_body, '<>&', '   '))) word,
                      unnest(array[p_user_low, p_user_high]) person)), ''::tsvector)
    $function$;

CREATE OR REPLACE FUNCTION public.courier_send_message(p_conversation_id bigint, p_sender_id bigint, p_recipient_id bigint, p_body text, p_client_id uuid, p_attachment_ids bigint[], p_max integer, p_window_seconds integer, p_lock_space integer, p_channel text, p_reply_to bigint)
 RETURNS TABLE(id bigint, conversation_id bigint, sender_id bigint, body text, created_at timestamp with time zone, deleted_at timestamp with time zone, redacted_at timestamp with time zone, edited_at timestamp with time zone, reply_to_id bigint, reply json)
 LANGUAGE plpgsql
 SET plan_cache_mode TO 'force_generic_plan'
AS $function$
    #variable_conflict use_column
    declare
      v_members bigint[];
      v_kind text := 'direct';
    begin
      perform pg_advisory_xact_lock(p_lock_space, (p_sender_id % 2147483647)::int);
      if p_recipient_id is null then
        select c.kind into v_kind from conversations c where c.id = p_conversation_id;
        -- A direct conversation is written to its other person, whose block is checked below: never as a group.
        if v_kind is distinct from 'group' and v_kind is distinct from 'support' then
          raise exception 'courier: conversation % takes a recipient', p_conversation_id using errcode = 'CW403';
        end if;
      end if;
      -- Support is reachable by everyone, a suspended person included (to ask why).
      if v_kind <> 'support' and not courier_may_write(p_sender_id, p_recipient_id) then
        raise exception 'courier: % may not write to %', p_sender_id, p_recipient_id using errcode = 'CW403';
      end if;
      if p_recipient_id is null then
        -- The group's row first, as the update below would take it: sends into one group (and
        -- changes to its members, which lock it too) go one at a time, each seeing the members as
        -- they are. Locking a member's row first deadlocked two senders, each holding their own
        -- row and needing the other's (bench:group-live).
        perform 1 from conversations c where c.id = p_conversation_id for no key update;
        perform 1 from conversation_participants p
         where p.conversation_id = p_conversation_id and p.user_id = p_sender_id and p.left_upto_message_id is null;
        if not found then
          raise exception 'courier: % is not in group %', p_sender_id, p_conversation_id using errcode = 'CW403';
        end if;
        select coalesce(array_agg(p.user_id order by p.user_id), '{}') into v_members
          from conversation_participants p
         where p.conversation_id = p_conversation_id and p.user_id <> p_sender_id and p.left_upto_message_id is null
           and not exists (select 1 from blocks b where b.blocker_id = p.user_id and b.blocked_id = p_sender_id);
      else
        v_members := array[p_recipient_id];
      end if;
      return query
      with recent as (
        select 1 from messages m
         where m.sender_id = p_sender_id and m.created_at > statement_timestamp() - make_interval(secs => p_window_seconds)
         limit p_max
      ), inserted as (
        insert into messages (conversation_id, sender_id, body, client_id, reply_to_id)
        select p_conversation_id, p_sender_id, p_body, p_client_id,
               -- Only a message of this conversation can be answered; any other id is dropped.
               (select q.id from messages q where q.id = p_reply_to and q.conversation_id = p_conversation_id)
         where (select count(*) from recent) < p_max
        on conflict (sender_id, client_id) where client_id is not null do nothing
        returning messages.id, messages.conversation_id, messages.sender_id, messages.body, messages.created_at, messages.deleted_at, messages.redacted_at, messages.edited_at, messages.reply_to_id
      ), attached as (
        update attachments a
           set message_id = i.id
          from inserted i
         where a.id = any(p_attachment_ids) and a.uploader_id = p_sender_id and a.conversation_id = p_conversation_id
           and a.message_id is null and a.complete
      ), conversation as (
        update conversations c
           set last_sender_id = case when i.id > coalesce(c.last_message_id, 0) then i.sender_id else c.last_sender_id end,
               last_message_id = greatest(coalesce(c.last_message_id, 0), i.id),
               version = c.version + 1
          from inserted i
         where c.id = i.conversation_id
      ), participants as (
        update conversation_participants p
           set last_activity_at = greatest(coalesce(p.last_activity_at, '-infinity'), now()),
               archived_at = null,
               latest_incoming_message_id = case when p.user_id = any(v_members) then greatest(p.latest_incoming_message_id, i.id) else p.latest_incoming_message_id end,
               last_read_message_id = case when p.user_id = i.sender_id then greatest(p.last_read_message_id, i.id) else p.last_read_message_id end,
               last_delivered_message_id = case when p.user_id = i.sender_id then greatest(p.last_delivered_message_id, i.id) else p.last_delivered_message_id end,
               marked_unread = case when p.user_id = i.sender_id then false else p.marked_unread end
          from inserted i
         where p.conversation_id = i.conversation_id and p.left_upto_message_id is null
           and (p.user_id = i.sender_id or p.user_id = any(v_members))
      )
      select i.id, i.conversation_id, i.sender_id, i.body, i.created_at, i.deleted_at, i.redacted_at, i.edited_at, i.reply_to_id, courier_message_quote(i.reply_to_id)
        from inserted i,
             lateral (select pg_notify(p_channel, case when p_recipient_id is null
                        then json_build_object('t', 'message', 'c', i.conversation_id, 'm', i.id, 's', i.sender_id, 'g', v_members)
                        else json_build_object('t', 'message', 'c', i.conversation_id, 'm', i.id, 's', i.sender_id, 'r', p_recipient_id) end::text)) announced,
             lateral (select count(graphile_worker.add_job('messaging:push', json_build_object('u', r.user_id, 'm', i.id), max_attempts => 3)) as jobs
                        from unnest(v_members) r(user_id)
                       where exists (select 1 from push_subscriptions s where s.user_id = r.user_id)
                         and coalesce((select pr.push from messaging_preferences pr where pr.user_id = r.user_id), true)
                         and not exists (select 1 from event_streams s join realtime_instances ri on ri.id = s.instance_id
                                          where s.user_id = r.user_id and s.visible and ri.heartbeat_at > now() - interval '45 seconds')) pushed;
    end
    $function$;

CREATE OR REPLACE FUNCTION public.courier_sessions_ended()
 RETURNS trigger
 LANGUAGE plpgsql
AS $function$
    begin
      if tg_op = 'DELETE' then
        perform pg_notify('courier_events', json_build_object('t', 'sessions', 'u', ended.user_id)::text)
           from (select distinct user_id from gone where user_id is not null) ended;
      else
        perform pg_notify('courier_events', json_build_object('t', 'sessions', 'u', ended.user_id)::text)
           from (select distinct o.user_id from gone o join kept n on n.sid = o.sid
                  where o.user_id is not null and o.user_id is distinct from n.user_id) ended;
      end if;
      return null;
    end
    $function$;

--
-- Triggers
--

CREATE TRIGGER session_deleted AFTER DELETE ON public.session REFERENCING OLD TABLE AS gone FOR EACH STATEMENT EXECUTE FUNCTION public.courier_sessions_ended();
CREATE TRIGGER session_user_changed AFTER UPDATE ON public.session REFERENCING OLD TABLE AS gone NEW TABLE AS kept FOR EACH STATEMENT EXECUTE FUNCTION public.courier_sessions_ended();
CREATE TRIGGER users_person_changed AFTER UPDATE OF username, display_name, avatar_version, headline, time_zone ON public.users FOR EACH ROW WHEN ((((((old.username IS DISTINCT FROM new.username) OR (old.display_name IS DISTINCT FROM new.display_name)) OR (old.avatar_version IS DISTINCT FROM new.avatar_version)) OR (old.headline IS DISTINCT FROM new.headline)) OR (old.time_zone IS DISTINCT FROM new.time_zone))) EXECUTE FUNCTION public.courier_person_changed();
CREATE TRIGGER users_person_deleted AFTER DELETE ON public.users FOR EACH ROW EXECUTE FUNCTION public.courier_person_changed();
CREATE TRIGGER conversations_audit AFTER INSERT ON public.conversations FOR EACH ROW EXECUTE FUNCTION public.audit_conversation_created();
CREATE TRIGGER messages_audit_delete AFTER UPDATE OF deleted_at ON public.messages FOR EACH ROW EXECUTE FUNCTION public.audit_message_written();
CREATE TRIGGER messages_audit_insert AFTER INSERT ON public.messages FOR EACH ROW EXECUTE FUNCTION public.audit_message_written();
CREATE TRIGGER messages_search_keys BEFORE INSERT OR UPDATE OF body, conversation_id ON public.messages FOR EACH ROW EXECUTE FUNCTION public.courier_message_search_keys();
