-- The reference model (src/whynow/examples/model.yaml) by hand, in DuckDB SQL: what a skilled analyst would
-- write for that one model, as fast as they can. Its rules are hard-coded; activities are read once, with
-- every aggregate fused into one GROUP BY; only the columns needed are read; nothing is sorted.
-- It writes the columns of account_status and contact_status (SPEC §5) that do not depend on badges,
-- capacity or narratives.
--
-- Placeholders, filled by reference.py: ${data} the folder of Parquet tables, ${as_of} the as-of date,
-- ${horizon} the as-of date + 1 day at 00:00 UTC (SPEC §2: only rows strictly before it exist), ${out} the
-- output folder. The script runs as one batch of statements on a fresh connection.

SET TimeZone = 'UTC';

-- SPEC §3: domains compare case-insensitively, a leading www. stripped.
CREATE TEMP MACRO domain_key(d) AS CASE WHEN starts_with(lower(d), 'www.') THEN lower(d)[5:] ELSE lower(d) END;
-- SPEC §4.2: fit grades {A: 80, B: 60, C: 40}, else D.
CREATE TEMP MACRO grade(fit) AS CASE WHEN fit >= 80 THEN 'A' WHEN fit >= 60 THEN 'B' WHEN fit >= 40 THEN 'C' ELSE 'D' END;
-- SPEC §4.3: each rule's decayed points summed, capped in absolute value (page view 10, email click 15, email
-- open 5, ad click 6; their points are positive, so only the upper cap can bite), rounded to 6 decimals; then
-- their sum. A rule no row matched is NULL here and adds nothing.
CREATE TEMP MACRO engagement_of(demo, meeting, trial, pricing, comparison, case_study, page_view, webinar, content,
                                email_click, email_open, ad_click, unsubscribed) AS round(
    coalesce(round(demo, 6), 0) + coalesce(round(meeting, 6), 0) + coalesce(round(trial, 6), 0)
    + coalesce(round(pricing, 6), 0) + coalesce(round(comparison, 6), 0) + coalesce(round(case_study, 6), 0)
    + round(least(coalesce(page_view, 0), 10), 6) + coalesce(round(webinar, 6), 0) + coalesce(round(content, 6), 0)
    + round(least(coalesce(email_click, 0), 15), 6) + round(least(coalesce(email_open, 0), 5), 6)
    + round(least(coalesce(ad_click, 0), 6), 6) + coalesce(round(unsubscribed, 6), 0), 6);

CREATE TEMP TABLE acc AS
SELECT account_id, name, owner_id, tier, industry, employees, region, annual_revenue, renewal_date,
       coalesce(is_customer, false) AS is_customer, coalesce(target, false) AS target_column,
       coalesce(sales_accepted, false) AS sales_accepted, domain_key(domain) AS domain_key
FROM read_parquet('${data}/accounts.parquet');

-- A domain shared by accounts goes to the lowest account_id (SPEC §3).
CREATE TEMP TABLE dom AS
SELECT domain_key, min(account_id) AS account_id FROM acc WHERE domain_key IS NOT NULL GROUP BY domain_key;

-- The one pass over activities. Rows inside the lookback (180 days; the activity signals' windows, 14 and 30
-- days, lie inside it), grouped per known contact_id, or per (account_id, domain) as an anonymous row spells
-- its account: the decayed points of each engagement rule (half-life 30 days), engaging activities in the
-- last 30 days, a raised hand, the last activity and the signals' page views.
CREATE TEMP TABLE act AS
SELECT contact_id,
       CASE WHEN contact_id IS NULL THEN account_id END AS anon_account,
       CASE WHEN contact_id IS NULL THEN domain END AS anon_domain,
       sum(50 * d) FILTER (type IN ('demo_request', 'contact_sales')) AS r_demo,
       sum(40 * d) FILTER (type = 'meeting_booked') AS r_meeting,
       sum(35 * d) FILTER (type = 'trial_signup') AS r_trial,
       sum(10 * d) FILTER (type = 'page_view' AND url LIKE '%/pricing%') AS r_pricing,
       sum(8 * d) FILTER (type = 'page_view' AND url LIKE '%/compare%') AS r_comparison,
       sum(5 * d) FILTER (type = 'page_view' AND url LIKE '%/customers/%') AS r_case_study,
       sum(1 * d) FILTER (type = 'page_view') AS r_page_view,
       sum(15 * d) FILTER (type IN ('webinar_attended', 'event_attended')) AS r_webinar,
       sum(10 * d) FILTER (type IN ('content_download', 'form_submit')) AS r_content,
       sum(3 * d) FILTER (type = 'email_click') AS r_email_click,
       sum(1 * d) FILTER (type = 'email_open') AS r_email_open,
       sum(2 * d) FILTER (type = 'ad_click') AS r_ad_click,
       sum(-25 * d) FILTER (type = 'unsubscribe') AS r_unsubscribed,
       -- engaging: matches a rule with positive points (every type above but unsubscribe)
       count(*) FILTER (occurred_at >= TIMESTAMPTZ '${horizon}' - INTERVAL 30 DAY AND type IN (
           'demo_request', 'contact_sales', 'meeting_booked', 'trial_signup', 'page_view', 'webinar_attended',
           'event_attended', 'content_download', 'form_submit', 'email_click', 'email_open', 'ad_click')) AS recent,
       bool_or(type IN ('demo_request', 'contact_sales', 'meeting_booked')) AS hand_raised,
       max(occurred_at) AS last_at,
       count(*) FILTER (occurred_at >= TIMESTAMPTZ '${horizon}' - INTERVAL 14 DAY
                        AND type = 'page_view' AND url LIKE '%/compare%') AS comparison_views,
       count(*) FILTER (occurred_at >= TIMESTAMPTZ '${horizon}' - INTERVAL 30 DAY
                        AND type = 'page_view' AND (url LIKE '%/add-ons%' OR url LIKE '%/enterprise%')) AS expansion_pages
FROM (
    SELECT contact_id, account_id, domain, type, url, occurred_at,
           pow(0.5, (epoch_us(TIMESTAMPTZ '${horizon}') - epoch_us(occurred_at)) / 86400000000 / 30) AS d
    FROM read_parquet('${data}/activities.parquet')
    WHERE occurred_at >= TIMESTAMPTZ '${horizon}' - INTERVAL 180 DAY AND occurred_at < TIMESTAMPTZ '${horizon}'
)
GROUP BY ALL;

-- Contacts: fit, committee role, engagement, measures, lead status.
CREATE TEMP TABLE ct AS
SELECT *,
       CASE WHEN fit < 0 OR unsubscribed THEN 'disqualified'
            WHEN sales_accepted THEN 'sql'
            WHEN (fit >= 60 AND engagement >= 50) OR (hand_raised AND fit >= 40) THEN 'mql'
            WHEN engagement >= 15 THEN 'nurture'
            ELSE 'new' END AS lead_status
FROM (
    SELECT c.contact_id, c.account_id, c.first_name, c.last_name,
           coalesce(c.unsubscribed, false) AS unsubscribed, coalesce(c.sales_accepted, false) AS sales_accepted,
           -- the points sum to between -50 and 70: no clamp to [-100, 100] needed
           (CASE WHEN c.seniority IN ('C-Level', 'VP', 'Director') THEN 40 ELSE 0 END
            + CASE WHEN c.department IN ('Revenue Operations', 'Marketing', 'Sales') THEN 30 ELSE 0 END
            + CASE WHEN c.seniority = 'Manager' THEN 20 ELSE 0 END
            + CASE WHEN lower(c.email) LIKE '%@gmail.com' OR lower(c.email) LIKE '%@yahoo.com'
                        OR lower(c.email) LIKE '%@hotmail.com' THEN -50 ELSE 0 END)::DOUBLE AS fit,
           CASE WHEN c.seniority IN ('C-Level', 'VP') THEN 'decision_maker'
                WHEN c.seniority = 'Director' AND c.department IN ('Revenue Operations', 'Marketing', 'Sales')
                    THEN 'champion'
                WHEN c.department IN ('Procurement', 'Legal', 'Security', 'Finance') THEN 'blocker'
                WHEN c.department IN ('Revenue Operations', 'Marketing', 'Sales', 'IT', 'Operations')
                    THEN 'influencer'
                ELSE 'other' END AS committee_role,
           engagement_of(a.r_demo, a.r_meeting, a.r_trial, a.r_pricing, a.r_comparison, a.r_case_study,
                         a.r_page_view, a.r_webinar, a.r_content, a.r_email_click, a.r_email_open, a.r_ad_click,
                         a.r_unsubscribed) AS engagement,
           coalesce(a.recent, 0) AS recent_activities,
           coalesce(a.recent, 0) >= 1 AS engaged,
           coalesce(a.hand_raised, false) AS hand_raised,
           date_diff('day', a.last_at::DATE, DATE '${as_of}') AS days_since_last_activity,
           coalesce(a.comparison_views, 0) AS person_competitor_research,
           a.last_at, a.expansion_pages
    FROM read_parquet('${data}/contacts.parquet') c
    LEFT JOIN act a ON a.contact_id = c.contact_id
);

-- Anonymous activity, resolved to an account by account_id, else by domain (SPEC §3); caps per account.
CREATE TEMP TABLE anon AS
SELECT account_id,
       engagement_of(r_demo, r_meeting, r_trial, r_pricing, r_comparison, r_case_study, r_page_view, r_webinar,
                     r_content, r_email_click, r_email_open, r_ad_click, r_unsubscribed) AS anonymous_engagement,
       recent AS anonymous_activities, last_at, comparison_views, expansion_pages
FROM (
    SELECT coalesce(ids.account_id, dom.account_id) AS account_id,
           sum(r_demo) AS r_demo, sum(r_meeting) AS r_meeting, sum(r_trial) AS r_trial, sum(r_pricing) AS r_pricing,
           sum(r_comparison) AS r_comparison, sum(r_case_study) AS r_case_study, sum(r_page_view) AS r_page_view,
           sum(r_webinar) AS r_webinar, sum(r_content) AS r_content, sum(r_email_click) AS r_email_click,
           sum(r_email_open) AS r_email_open, sum(r_ad_click) AS r_ad_click, sum(r_unsubscribed) AS r_unsubscribed,
           sum(recent) AS recent, max(last_at) AS last_at, sum(comparison_views) AS comparison_views,
           sum(expansion_pages) AS expansion_pages
    FROM act
    LEFT JOIN acc ids ON ids.account_id = act.anon_account
    LEFT JOIN dom ON dom.domain_key = domain_key(act.anon_domain)
    WHERE act.contact_id IS NULL
    GROUP BY 1
)
WHERE account_id IS NOT NULL;

-- The buying committee and its engagement, per account (orphan contacts' account matches no account).
CREATE TEMP TABLE committee AS
SELECT account_id,
       sum(engagement) AS contacts_engagement,
       count(*) FILTER (engaged) AS engaged_contacts,
       sum(recent_activities) AS activities,
       count(DISTINCT committee_role) FILTER (engaged AND committee_role <> 'other') AS committee_roles_engaged,
       count(*) FILTER (lead_status = 'mql') AS mql_contacts,
       count(*) FILTER (engaged AND committee_role = 'decision_maker') AS engaged_decision_maker,
       count(*) FILTER (engaged AND committee_role = 'champion') AS engaged_champion,
       count(*) FILTER (engaged AND committee_role = 'blocker') AS engaged_blocker,
       count(*) FILTER (engaged AND committee_role = 'influencer') AS engaged_influencer,
       -- the engaged contact with the highest engagement, ties to the lowest contact_id
       arg_min(contact_id, (-engagement, contact_id)) FILTER (engaged) AS top_contact_id,
       max(last_at) AS last_at, sum(person_competitor_research) AS comparison_views,
       sum(expansion_pages) AS expansion_pages
FROM ct
GROUP BY account_id;

-- Intent signals (SPEC §4.7): the last 21 days hold both windows. latest() keeps a NULL value; ties go to
-- the highest intent_id (NULL lowest), then the greatest value.
CREATE TEMP TABLE intent_signals AS
SELECT coalesce(ids.account_id, dom.account_id) AS account_id,
       round(max(score) FILTER (topic_category = 'competitor' AND observed_at >= TIMESTAMPTZ '${horizon}' - INTERVAL 14 DAY), 6)
           AS competitor_research,
       arg_max_null(competitor, (observed_at, intent_id IS NOT NULL, coalesce(intent_id, ''),
                                 competitor IS NOT NULL, coalesce(competitor, '')))
           FILTER (topic_category = 'competitor' AND observed_at >= TIMESTAMPTZ '${horizon}' - INTERVAL 14 DAY)
           AS competitor_researched,
       round(max(score) FILTER (topic_category = 'category'), 6) AS category_surge,
       arg_max_null(topic, (observed_at, intent_id IS NOT NULL, coalesce(intent_id, ''),
                            topic IS NOT NULL, coalesce(topic, '')))
           FILTER (topic_category = 'category') AS surging_topic
FROM (
    SELECT account_id, domain, observed_at, intent_id, topic, topic_category, competitor, score
    FROM read_parquet('${data}/intent.parquet')
    WHERE observed_at >= TIMESTAMPTZ '${horizon}' - INTERVAL 21 DAY AND observed_at < TIMESTAMPTZ '${horizon}'
      AND topic_category IN ('competitor', 'category')
) i
LEFT JOIN acc ids ON ids.account_id = i.account_id
LEFT JOIN dom ON dom.domain_key = domain_key(i.domain)
GROUP BY 1;

-- Change-event signals: funding (120 days), new executive (90), hiring surge (60). Every row lies before the
-- horizon, so days_since is never below 0.
CREATE TEMP TABLE change_signals AS
SELECT coalesce(ids.account_id, dom.account_id) AS account_id,
       date_diff('day', CAST(max(occurred_at) FILTER (kind = 'funding') AS DATE), DATE '${as_of}')
           AS funding_days_ago,
       arg_max_null(detail, (occurred_at, event_id IS NOT NULL, coalesce(event_id, ''),
                             detail IS NOT NULL, coalesce(detail, ''))) FILTER (kind = 'funding') AS funding_round,
       date_diff('day', CAST(max(occurred_at) FILTER (kind = 'new_executive') AS DATE), DATE '${as_of}')
           AS new_leader_days_ago,
       arg_max_null(detail, (occurred_at, event_id IS NOT NULL, coalesce(event_id, ''),
                             detail IS NOT NULL, coalesce(detail, ''))) FILTER (kind = 'new_executive') AS new_leader,
       bool_or(kind = 'hiring_surge' AND occurred_at >= TIMESTAMPTZ '${horizon}' - INTERVAL 60 DAY) AS hiring_surge
FROM (
    SELECT account_id, domain, occurred_at, event_id, kind, detail
    FROM read_parquet('${data}/change_events.parquet')
    WHERE occurred_at < TIMESTAMPTZ '${horizon}' AND (
        (kind = 'funding' AND occurred_at >= TIMESTAMPTZ '${horizon}' - INTERVAL 120 DAY)
        OR (kind IN ('new_executive', 'hiring_surge') AND occurred_at >= TIMESTAMPTZ '${horizon}' - INTERVAL 90 DAY))
) e
LEFT JOIN acc ids ON ids.account_id = e.account_id
LEFT JOIN dom ON dom.domain_key = domain_key(e.domain)
GROUP BY 1;

-- Technographics signals: rows exist from first_seen (NULL: always); no windows. The competitor in use is the
-- one still in use (NULL last_seen), else the last seen; ties to the greatest technology.
CREATE TEMP TABLE techno_signals AS
SELECT coalesce(ids.account_id, dom.account_id) AS account_id,
       bool_or(technology = 'Salesforce') AS uses_salesforce,
       bool_or(is_competitor) AS uses_competitor,
       arg_max_null(technology, (last_seen IS NULL, coalesce(last_seen, DATE '0001-01-01'), technology))
           FILTER (is_competitor) AS competitor_in_use
FROM (
    SELECT account_id, domain, technology, is_competitor, last_seen
    FROM read_parquet('${data}/technographics.parquet')
    WHERE first_seen IS NULL OR first_seen <= DATE '${as_of}'
) t
LEFT JOIN acc ids ON ids.account_id = t.account_id
LEFT JOIN dom ON dom.domain_key = domain_key(t.domain)
GROUP BY 1;

-- Open pipeline at the horizon (SPEC §3): created before it and not closed before it.
CREATE TEMP TABLE pipeline AS
SELECT account_id, bool_or(open) AS has_open_opportunity,
       round(sum(CASE WHEN open THEN coalesce(amount, 0) ELSE 0 END), 6) AS open_pipeline
FROM (
    SELECT account_id, amount,
           CASE WHEN closed_at IS NOT NULL THEN closed_at >= TIMESTAMPTZ '${horizon}'
                ELSE NOT coalesce(is_closed, false) END AS open
    FROM read_parquet('${data}/opportunities.parquet')
    WHERE created_at < TIMESTAMPTZ '${horizon}'
)
GROUP BY account_id;

-- Account measures: fit (its points sum to between 0 and 100: no clamp), engagement, the committee.
CREATE TEMP TABLE am AS
SELECT a.account_id, a.name, a.owner_id, a.tier, a.is_customer, a.sales_accepted, a.target_column,
       (CASE WHEN a.industry IN ('Software', 'Financial Services', 'Healthcare') THEN 25 ELSE 0 END
        + CASE WHEN a.employees BETWEEN 200 AND 10000 THEN 25 ELSE 0 END
        + CASE WHEN a.region IN ('NA', 'EMEA') THEN 15 ELSE 0 END
        + CASE WHEN a.annual_revenue >= 50000000 THEN 15 ELSE 0 END
        + CASE WHEN t.uses_salesforce THEN 20 ELSE 0 END)::DOUBLE AS fit,
       round(coalesce(c.contacts_engagement, 0) + 0.5 * coalesce(n.anonymous_engagement, 0), 6) AS engagement,
       coalesce(c.engaged_contacts, 0) AS engaged_contacts,
       coalesce(c.activities, 0)::BIGINT AS activities,
       coalesce(n.anonymous_activities, 0)::BIGINT AS anonymous_activities,
       coalesce(c.committee_roles_engaged, 0) AS committee_roles_engaged,
       coalesce(p.has_open_opportunity, false) AS has_open_opportunity,
       coalesce(p.open_pipeline, 0) AS open_pipeline,
       date_diff('day', greatest(c.last_at, n.last_at)::DATE, DATE '${as_of}') AS days_since_last_activity,
       date_diff('day', DATE '${as_of}', a.renewal_date) AS days_to_renewal,
       coalesce(c.mql_contacts, 0) AS mql_contacts,
       c.top_contact_id,
       coalesce(c.engaged_decision_maker, 0) AS engaged_decision_maker,
       coalesce(c.engaged_champion, 0) AS engaged_champion,
       coalesce(c.engaged_blocker, 0) AS engaged_blocker,
       coalesce(c.engaged_influencer, 0) AS engaged_influencer,
       coalesce(t.uses_salesforce, false) AS uses_salesforce,
       coalesce(t.uses_competitor, false) AS uses_competitor,
       t.competitor_in_use,
       i.competitor_research, i.competitor_researched,
       (coalesce(c.comparison_views, 0) + coalesce(n.comparison_views, 0))::BIGINT AS comparison_views,
       i.category_surge, i.surging_topic,
       e.funding_days_ago, e.funding_round, e.new_leader_days_ago, e.new_leader,
       coalesce(e.hiring_surge, false) AS hiring_surge,
       (coalesce(c.expansion_pages, 0) + coalesce(n.expansion_pages, 0))::BIGINT AS expansion_pages
FROM acc a
LEFT JOIN committee c USING (account_id)
LEFT JOIN anon n USING (account_id)
LEFT JOIN techno_signals t USING (account_id)
LEFT JOIN intent_signals i USING (account_id)
LEFT JOIN change_signals e USING (account_id)
LEFT JOIN pipeline p USING (account_id);

-- Qualification (SPEC §4.6): target, MQA (tier 1 has its own criteria), SQA, then the journey's first stage.
COPY (
    SELECT DATE '${as_of}' AS as_of, account_id, name, owner_id, tier, fit, grade(fit) AS fit_grade, engagement,
           engaged_contacts, activities, anonymous_activities, committee_roles_engaged, target,
           mqa, sqa,
           CASE WHEN is_customer THEN 'post_sale'
                WHEN has_open_opportunity THEN 'opportunity'
                WHEN mqa THEN 'mqa'
                WHEN engaged_contacts >= 2 OR engagement >= 40 THEN 'engaged'
                WHEN days_since_last_activity <= 90 THEN 'aware'
                WHEN target THEN 'qualified'
                ELSE 'unqualified' END AS stage,
           has_open_opportunity, open_pipeline, days_since_last_activity, days_to_renewal, mql_contacts,
           top_contact_id, engaged_decision_maker, engaged_champion, engaged_blocker, engaged_influencer,
           uses_salesforce, uses_competitor, competitor_in_use, competitor_research, competitor_researched,
           comparison_views, category_surge, surging_topic, funding_days_ago, funding_round, new_leader_days_ago,
           new_leader, hiring_surge, expansion_pages
    FROM (
        SELECT *, target AND CASE WHEN tier = 1 THEN engaged_contacts >= 3 OR (engaged_contacts >= 2 AND activities >= 6)
                                  ELSE engaged_contacts >= 4 OR (engaged_contacts >= 3 AND activities >= 9) END AS mqa,
               has_open_opportunity OR sales_accepted AS sqa
        FROM (SELECT *, fit >= 50 OR target_column AS target FROM am)
    )
) TO '${out}/account_status.parquet' (FORMAT parquet);

COPY (
    SELECT DATE '${as_of}' AS as_of, contact_id, account_id,
           CASE WHEN first_name IS NOT NULL AND last_name IS NOT NULL THEN first_name || ' ' || last_name
                ELSE coalesce(first_name, last_name) END AS name,
           fit, grade(fit) AS fit_grade, engagement, lead_status,
           DATE '${as_of}' AS status_since,  -- a history's first run: every stretch starts at its as-of date
           committee_role, engaged,
           hand_raised, recent_activities, days_since_last_activity, person_competitor_research
    FROM ct
) TO '${out}/contact_status.parquet' (FORMAT parquet);
