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
    }
}

diesel::table! {
    campaign_questionnaires (campaign_id, code) {
        campaign_id -> BigInt,
        code -> Text,
        questionnaire_version_id -> BigInt,
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

diesel::allow_tables_to_appear_in_same_query!(
    units,
    questionnaire_versions,
    campaigns,
    campaign_questionnaires,
    respondents,
    draft_answers,
    responses,
    answers,
);

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
diesel::allow_tables_to_appear_in_same_query!(users, sessions, units);
