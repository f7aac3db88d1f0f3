// The tables of both backends; the migrations in migrations/{sqlite,postgres}
// must keep producing exactly these columns.

diesel::table! {
    units (id) {
        id -> BigInt,
        code -> Text,
        name -> Text,
        block -> Text,
        unit_type -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    questionnaire_versions (id) {
        id -> BigInt,
        code -> Text,
        content_hash -> Text,
        title -> Text,
        source -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    campaigns (id) {
        id -> BigInt,
        year -> Integer,
        name -> Text,
        opens_at -> Timestamp,
        closes_at -> Timestamp,
        anonymous -> Bool,
        created_at -> Timestamp,
        profile_code -> Nullable<Text>,
        profile_source -> Nullable<Text>,
        profile_sha256 -> Nullable<Text>,
        archived_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    deadline_changes (id) {
        id -> BigInt,
        campaign_id -> BigInt,
        code -> Text,
        unit_id -> Nullable<BigInt>,
        due -> Date,
        reason -> Text,
        changed_by -> BigInt,
        changed_at -> Timestamp,
    }
}

diesel::table! {
    council_decisions (id) {
        id -> BigInt,
        campaign_id -> BigInt,
        unit_id -> BigInt,
        case_code -> Text,
        decision -> Text,
        reason -> Text,
        decided_by -> BigInt,
        decided_at -> Timestamp,
    }
}

diesel::table! {
    campaign_questionnaires (campaign_id, code) {
        campaign_id -> BigInt,
        code -> Text,
        questionnaire_version_id -> BigInt,
        open_link -> Bool,
    }
}

diesel::table! {
    respondents (id) {
        id -> BigInt,
        campaign_id -> BigInt,
        questionnaire_code -> Text,
        unit_id -> Nullable<BigInt>,
        token_hash -> Text,
        source -> Text,
        status -> Text,
        submit_key -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        submitted_at -> Nullable<Timestamp>,
        stratum -> Nullable<Text>,
        opened_at -> Nullable<Timestamp>,
        opted_out_at -> Nullable<Timestamp>,
        open_client -> Nullable<Text>,
        open_device -> Nullable<Text>,
        short_code_hash -> Nullable<Text>,
    }
}

diesel::table! {
    draft_answers (respondent_id, rated_unit_id, question_code) {
        respondent_id -> BigInt,
        rated_unit_id -> BigInt,
        question_code -> Text,
        value -> Text,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    responses (id) {
        id -> BigInt,
        campaign_id -> BigInt,
        questionnaire_version_id -> BigInt,
        unit_id -> Nullable<BigInt>,
        respondent_id -> Nullable<BigInt>,
        source -> Text,
        submitted_at -> Timestamp,
        stratum -> Nullable<Text>,
        packed -> Nullable<Text>,
    }
}

diesel::table! {
    answers (response_id, rated_unit_id, question_code) {
        response_id -> BigInt,
        rated_unit_id -> BigInt,
        question_code -> Text,
        value -> Text,
    }
}

diesel::joinable!(campaign_questionnaires -> campaigns (campaign_id));
diesel::joinable!(campaign_questionnaires -> questionnaire_versions (questionnaire_version_id));
diesel::joinable!(respondents -> campaigns (campaign_id));
diesel::joinable!(respondents -> units (unit_id));
diesel::joinable!(draft_answers -> respondents (respondent_id));
diesel::joinable!(responses -> campaigns (campaign_id));
diesel::joinable!(answers -> responses (response_id));

diesel::table! {
    users (id) {
        id -> BigInt,
        username -> Text,
        display_name -> Text,
        role -> Text,
        unit_id -> Nullable<BigInt>,
        password_hash -> Text,
        disabled -> Bool,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        email -> Nullable<Text>,
    }
}

diesel::table! {
    notices (id) {
        id -> BigInt,
        user_id -> BigInt,
        kind -> Text,
        dedup_key -> Text,
        subject -> Text,
        body_text -> Text,
        body_html -> Text,
        state -> Text,
        attempts -> Integer,
        next_attempt_at -> Timestamp,
        last_error -> Nullable<Text>,
        created_at -> Timestamp,
        sent_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    sessions (id_hash) {
        id_hash -> Text,
        user_id -> BigInt,
        csrf_token -> Text,
        created_at -> Timestamp,
        expires_at -> Timestamp,
    }
}

diesel::table! {
    rate_limits (bucket, window_start) {
        bucket -> Text,
        window_start -> Timestamp,
        hits -> Integer,
    }
}

diesel::joinable!(sessions -> users (user_id));

diesel::table! {
    api_tokens (id) {
        id -> BigInt,
        user_id -> BigInt,
        token_hash -> Text,
        label -> Text,
        created_at -> Timestamp,
        expires_at -> Timestamp,
        revoked_at -> Nullable<Timestamp>,
    }
}

diesel::joinable!(api_tokens -> users (user_id));

diesel::table! {
    frames (id) {
        id -> BigInt,
        campaign_id -> BigInt,
        sha256 -> Text,
        file_name -> Text,
        row_count -> BigInt,
        status -> Text,
        imported_at -> Timestamp,
    }
}

diesel::table! {
    frame_persons (id) {
        id -> BigInt,
        frame_id -> BigInt,
        person_key -> Text,
        unit_id -> BigInt,
        respondent_group -> Text,
        email -> Nullable<Text>,
        size -> Nullable<BigInt>,
        strata -> Text,
        phone -> Nullable<Text>,
        address -> Nullable<Text>,
        addressee -> Nullable<Text>,
    }
}

diesel::table! {
    plan_rules (campaign_id, respondent_group) {
        campaign_id -> BigInt,
        respondent_group -> Text,
        rule -> Text,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    draws (id) {
        id -> BigInt,
        campaign_id -> BigInt,
        frame_id -> BigInt,
        seed -> Text,
        frame_sha256 -> Text,
        rules -> Text,
        plan -> Text,
        drawn_at -> Timestamp,
    }
}

diesel::table! {
    sample_members (id) {
        id -> BigInt,
        draw_id -> BigInt,
        frame_person_id -> BigInt,
        stratum -> Text,
        reserve_rank -> Nullable<BigInt>,
        draw_order -> BigInt,
        design_weight -> Double,
        released_at -> Nullable<Timestamp>,
        replaces -> Nullable<BigInt>,
        respondent_id -> Nullable<BigInt>,
    }
}

diesel::table! {
    invitations (id) {
        id -> BigInt,
        respondent_id -> BigInt,
        seq -> Integer,
        state -> Text,
        reason -> Nullable<Text>,
        attempts -> Integer,
        message_id -> Text,
        queued_at -> Timestamp,
        updated_at -> Timestamp,
        sent_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    contact_attempts (id) {
        id -> BigInt,
        campaign_id -> BigInt,
        respondent_id -> BigInt,
        mode -> Text,
        batch -> Nullable<BigInt>,
        outcome -> Text,
        note -> Nullable<Text>,
        at -> Timestamp,
    }
}

diesel::joinable!(contact_attempts -> respondents (respondent_id));
diesel::joinable!(frame_persons -> frames (frame_id));
diesel::joinable!(frame_persons -> units (unit_id));
diesel::joinable!(sample_members -> frame_persons (frame_person_id));
diesel::joinable!(sample_members -> draws (draw_id));
diesel::joinable!(sample_members -> respondents (respondent_id));
diesel::joinable!(invitations -> respondents (respondent_id));

diesel::table! {
    survey_tallies (campaign_id, rated_unit_id, respondent_group, stratum) {
        campaign_id -> BigInt,
        rated_unit_id -> BigInt,
        respondent_group -> Text,
        stratum -> Text,
        tally -> Text,
        updated_at -> Timestamp,
        revision -> BigInt,
    }
}

diesel::table! {
    dossiers (id) {
        id -> BigInt,
        campaign_id -> BigInt,
        unit_id -> BigInt,
        state -> Text,
        submitted_at -> Nullable<Timestamp>,
        approved_by -> Nullable<BigInt>,
        approved_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    self_scores (dossier_id, criterion) {
        dossier_id -> BigInt,
        criterion -> Text,
        points_micro -> BigInt,
        explanation -> Text,
        evidence_sha256 -> Nullable<Text>,
        evidence_name -> Nullable<Text>,
        evidence_size -> Nullable<BigInt>,
        evidence_type -> Nullable<Text>,
        evidence_ref -> Nullable<Text>,
        updated_by -> BigInt,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    appraisals (dossier_id, criterion) {
        dossier_id -> BigInt,
        criterion -> Text,
        points_micro -> Nullable<BigInt>,
        evidence -> Text,
        not_applicable -> Bool,
        reason -> Text,
        appraiser_id -> BigInt,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    explanations (id) {
        id -> BigInt,
        dossier_id -> BigInt,
        criterion -> Text,
        request -> Text,
        requested_by -> BigInt,
        requested_at -> Timestamp,
        answer -> Nullable<Text>,
        evidence_sha256 -> Nullable<Text>,
        evidence_name -> Nullable<Text>,
        evidence_size -> Nullable<BigInt>,
        evidence_type -> Nullable<Text>,
        evidence_ref -> Nullable<Text>,
        answered_by -> Nullable<BigInt>,
        answered_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    appraiser_assignments (campaign_id, user_id, department) {
        campaign_id -> BigInt,
        user_id -> BigInt,
        department -> Text,
        assigned_by -> BigInt,
        assigned_at -> Timestamp,
    }
}

diesel::table! {
    audit_log (id) {
        id -> BigInt,
        dossier_id -> BigInt,
        criterion -> Nullable<Text>,
        actor_id -> BigInt,
        at -> Timestamp,
        action -> Text,
        old_value -> Nullable<Text>,
        new_value -> Nullable<Text>,
        reason -> Nullable<Text>,
    }
}

diesel::table! {
    send_leases (campaign_id) {
        campaign_id -> BigInt,
        holder -> Text,
        expires_at -> Timestamp,
    }
}

diesel::table! {
    draw_strata (draw_id, stratum) {
        draw_id -> BigInt,
        stratum -> Text,
        represented -> Double,
        invited -> BigInt,
    }
}

diesel::table! {
    national_publications (year) {
        year -> BigInt,
        published_on -> Date,
        recorded_at -> Timestamp,
    }
}

diesel::table! {
    survey_points (campaign_id, unit_id, criterion) {
        campaign_id -> BigInt,
        unit_id -> BigInt,
        criterion -> Text,
        points_micro -> Nullable<BigInt>,
        short -> Text,
        ci_low -> Nullable<Double>,
        ci_high -> Nullable<Double>,
        source -> Text,
        points_exact -> Nullable<Text>,
    }
}

diesel::table! {
    published_scores (year, unit_code, kind, item) {
        year -> BigInt,
        unit_code -> Text,
        kind -> Text,
        item -> Text,
        points_micro -> BigInt,
    }
}

diesel::table! {
    publications (campaign_id) {
        campaign_id -> BigInt,
        published_at -> Timestamp,
        published_by -> BigInt,
    }
}

diesel::allow_tables_to_appear_in_same_query!(
    notices,
    council_decisions,
    deadline_changes,
    survey_points,
    national_publications,
    published_scores,
    publications,
    send_leases,
    draw_strata,
    units,
    questionnaire_versions,
    campaigns,
    campaign_questionnaires,
    respondents,
    draft_answers,
    responses,
    answers,
    users,
    sessions,
    rate_limits,
    api_tokens,
    frames,
    frame_persons,
    plan_rules,
    draws,
    sample_members,
    invitations,
    survey_tallies,
    dossiers,
    self_scores,
    appraisals,
    explanations,
    appraiser_assignments,
    audit_log,
    contact_attempts,
);
