//! The domain: the actions this function performs, the request shapes callers
//! send for them (AWS's own field names), and their validation. Nothing here
//! knows about Lambda triggers or the SDK.

use crate::error::{Error, FieldError};
use regex::Regex;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use std::sync::LazyLock;

/// For `Option` fields of request shapes: a missing field is `None`, but an
/// explicit `null` is an error, so a caller's bug is named, not defaulted.
fn non_null<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    match Option::<T>::deserialize(d)? {
        None => Err(serde::de::Error::custom(
            "must not be null: leave the field out instead",
        )),
        some => Ok(some),
    }
}

/// The service's limit on items per BatchDisassociateCodeSecurityScanConfiguration call.
pub const DISASSOCIATE_BATCH_LIMIT: usize = 25;

/// The operations, by their AWS names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Operation {
    StartCodeSecurityScan,
    GetCodeSecurityScan,
    BatchDisassociateCodeSecurityScanConfiguration,
    StartAssessmentRun,
    /// Supporting calls: repository resolution and run look-up.
    ListCoverage,
    ListAssessmentRuns,
}

impl Operation {
    /// Operations a non-HTTP caller may name in `action` / `detail-type`.
    pub const ALL: [Operation; 4] = [
        Operation::StartCodeSecurityScan,
        Operation::GetCodeSecurityScan,
        Operation::BatchDisassociateCodeSecurityScanConfiguration,
        Operation::StartAssessmentRun,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Operation::StartCodeSecurityScan => "StartCodeSecurityScan",
            Operation::GetCodeSecurityScan => "GetCodeSecurityScan",
            Operation::BatchDisassociateCodeSecurityScanConfiguration => {
                "BatchDisassociateCodeSecurityScanConfiguration"
            }
            Operation::StartAssessmentRun => "StartAssessmentRun",
            Operation::ListCoverage => "ListCoverage",
            Operation::ListAssessmentRuns => "ListAssessmentRuns",
        }
    }

    /// The IAM action the call needs, as the template grants it.
    pub fn iam_action(self) -> &'static str {
        match self {
            Operation::StartCodeSecurityScan => "inspector2:StartCodeSecurityScan",
            Operation::GetCodeSecurityScan => "inspector2:GetCodeSecurityScan",
            Operation::BatchDisassociateCodeSecurityScanConfiguration => {
                "inspector2:BatchDisassociateCodeSecurityScanConfiguration"
            }
            Operation::StartAssessmentRun => "inspector:StartAssessmentRun",
            Operation::ListCoverage => "inspector2:ListCoverage",
            Operation::ListAssessmentRuns => "inspector:ListAssessmentRuns",
        }
    }

    /// Every IAM action the function calls: what the template must grant.
    pub const IAM_ACTIONS: [&'static str; 6] = [
        "inspector2:StartCodeSecurityScan",
        "inspector2:GetCodeSecurityScan",
        "inspector2:BatchDisassociateCodeSecurityScanConfiguration",
        "inspector2:ListCoverage",
        "inspector:StartAssessmentRun",
        "inspector:ListAssessmentRuns",
    ];

    pub fn from_name(name: &str) -> Option<Operation> {
        Operation::ALL.into_iter().find(|op| op.name() == name)
    }

    pub fn names() -> String {
        Operation::ALL.map(Operation::name).join(", ")
    }
}

/// A validated request, ready to execute.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    StartCodeSecurityScan(StartScan),
    /// Fan-out: one scan per target, one result per target.
    StartCodeSecurityScans(Vec<StartScan>),
    GetCodeSecurityScan(GetScan),
    BatchDisassociate(Disassociate),
    StartAssessmentRun(StartRun),
    /// Fan-out: one run per template, one result per template.
    StartAssessmentRuns(Vec<StartRun>),
    /// Nothing to do (a push to another branch, a tag, a deletion): a
    /// success with the reason.
    Skip(Skip),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skip {
    pub reason: String,
    pub repository: Option<String>,
    pub git_ref: Option<String>,
}

impl Action {
    /// The identifiers the action is about, for the invocation's log line.
    pub fn describe(&self) -> String {
        match self {
            Action::StartCodeSecurityScan(s) => s.target.key().to_string(),
            Action::StartCodeSecurityScans(v) => format!("{} targets", v.len()),
            Action::GetCodeSecurityScan(g) => format!("{}/{}", g.project_id, g.scan_id),
            Action::BatchDisassociate(d) => format!("{} items", d.items.len()),
            Action::StartAssessmentRun(r) => r.assessment_template_arn.clone(),
            Action::StartAssessmentRuns(v) => format!("{} templates", v.len()),
            Action::Skip(s) => s.repository.clone().unwrap_or_default(),
        }
    }

    pub fn operation(&self) -> Operation {
        match self {
            Action::StartCodeSecurityScan(_)
            | Action::StartCodeSecurityScans(_)
            | Action::Skip(_) => Operation::StartCodeSecurityScan,
            Action::GetCodeSecurityScan(_) => Operation::GetCodeSecurityScan,
            Action::BatchDisassociate(_) => {
                Operation::BatchDisassociateCodeSecurityScanConfiguration
            }
            Action::StartAssessmentRun(_) | Action::StartAssessmentRuns(_) => {
                Operation::StartAssessmentRun
            }
        }
    }
}

/// What to scan: a project, or a repository resolved to its project.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ScanTarget {
    ProjectId(String),
    /// `owner/name` (GitLab: `group/subgroup/name`) or a bare `name`.
    Repository(String),
}

impl ScanTarget {
    /// A stable key for the target, used to derive per-target tokens.
    pub fn key(&self) -> &str {
        match self {
            ScanTarget::ProjectId(p) | ScanTarget::Repository(p) => p,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StartScan {
    pub target: ScanTarget,
    pub client_token: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GetScan {
    pub project_id: String,
    pub scan_id: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct DisassociateItem {
    pub scan_configuration_arn: String,
    pub project_id: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Disassociate {
    pub items: Vec<DisassociateItem>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StartRun {
    pub assessment_template_arn: String,
    pub assessment_run_name: Option<String>,
}

// ---------------------------------------------------------------------------
// Wire shapes. Unknown fields are rejected so a typo never becomes a default.

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ResourceInput {
    #[serde(default, deserialize_with = "non_null")]
    pub project_id: Option<String>,
}

/// `StartCodeSecurityScan`: the AWS shape `{"resource": {"projectId"}, "clientToken"}`,
/// the shorthand `{"projectId"}`, a repository `{"repository": "owner/name"}`,
/// or a fan-out list `{"projectIds": [...]}` / `{"repositories": [...]}`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct StartScanInput {
    #[serde(default, deserialize_with = "non_null")]
    pub resource: Option<ResourceInput>,
    #[serde(default, deserialize_with = "non_null")]
    pub project_id: Option<String>,
    #[serde(default, deserialize_with = "non_null")]
    pub repository: Option<String>,
    #[serde(default, deserialize_with = "non_null")]
    pub project_ids: Option<Vec<String>>,
    #[serde(default, deserialize_with = "non_null")]
    pub repositories: Option<Vec<String>>,
    #[serde(default, deserialize_with = "non_null")]
    pub client_token: Option<String>,
}

/// A validated StartCodeSecurityScan request: one target, or a fan-out list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScanRequest {
    pub targets: Vec<ScanTarget>,
    pub fan_out: bool,
    pub client_token: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct GetScanInput {
    #[serde(default, deserialize_with = "non_null")]
    pub resource: Option<ResourceInput>,
    #[serde(default, deserialize_with = "non_null")]
    pub project_id: Option<String>,
    #[serde(default, deserialize_with = "non_null")]
    pub scan_id: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DisassociateItemInput {
    #[serde(default, deserialize_with = "non_null")]
    pub scan_configuration_arn: Option<String>,
    #[serde(default, deserialize_with = "non_null")]
    pub resource: Option<ResourceInput>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DisassociateInput {
    #[serde(default, deserialize_with = "non_null")]
    pub disassociate_configuration_requests: Option<Vec<DisassociateItemInput>>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct StartRunInput {
    #[serde(default, deserialize_with = "non_null")]
    pub assessment_template_arn: Option<String>,
    #[serde(default, deserialize_with = "non_null")]
    pub assessment_run_name: Option<String>,
}

/// Deserialise a request shape, naming the offending field on failure.
pub fn decode_input<T: DeserializeOwned>(value: serde_json::Value) -> Result<T, Error> {
    serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner().to_string();
        let field = if path == "." { String::new() } else { path };
        Error::invalid(vec![FieldError::new(field, inner)])
    })
}

// ---------------------------------------------------------------------------
// Validation, against the service's documented limits.

static PROJECT_ID: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^project-[a-f0-9]{8}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{12}$")
        .expect("valid regex")
});
static SCAN_CONFIGURATION_ARN: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"^arn:(aws[a-zA-Z-]*)?:inspector2:[a-z]{2}(-gov)?-[a-z]+-[0-9]:[0-9]{12}:owner/([0-9]{12}|o-[a-z0-9]{10,32})/codesecurity-configuration/[a-f0-9-]{36}$",
    )
    .expect("valid regex")
});
static SCAN_ID: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$").expect("valid regex"));

/// Shows a caller's value in a message without letting it flood or forge
/// anything: control characters escaped, long values cut.
pub fn shown(value: &str) -> String {
    let mut out: String = value
        .chars()
        .take(80)
        .flat_map(char::escape_debug)
        .collect();
    if value.chars().count() > 80 {
        out.push_str("...");
    }
    out
}

pub fn check_project_id(field: &str, value: Option<&str>, errors: &mut Vec<FieldError>) -> String {
    match value {
        None => errors.push(FieldError::new(field, "is required")),
        Some(v) if !PROJECT_ID.is_match(v) => errors.push(FieldError::new(
            field,
            format!(
                "\"{}\" is not a project id (expected project-<uuid>, lowercase hex)",
                shown(v)
            ),
        )),
        Some(v) => return v.to_string(),
    }
    String::new()
}

/// 1-64 printable ASCII characters, no spaces.
pub fn check_client_token(field: &str, value: &str) -> Result<(), FieldError> {
    let len = value.chars().count();
    if !(1..=64).contains(&len) {
        return Err(FieldError::new(
            field,
            format!("must be 1-64 characters, got {len}"),
        ));
    }
    if !value.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(FieldError::new(
            field,
            "must be printable ASCII without spaces",
        ));
    }
    Ok(())
}

fn check_len(field: &str, value: &str, max: usize, errors: &mut Vec<FieldError>) -> bool {
    let len = value.chars().count();
    if len == 0 || len > max {
        errors.push(FieldError::new(
            field,
            format!("must be 1-{max} characters, got {len}"),
        ));
        return false;
    }
    if value.chars().any(char::is_control) {
        errors.push(FieldError::new(
            field,
            "must not contain control characters",
        ));
        return false;
    }
    true
}

fn finish<T>(value: T, errors: Vec<FieldError>) -> Result<T, Error> {
    if errors.is_empty() {
        Ok(value)
    } else {
        Err(Error::invalid(errors))
    }
}

fn project_from(
    resource: Option<ResourceInput>,
    flat: Option<String>,
    errors: &mut Vec<FieldError>,
) -> String {
    match (resource, flat) {
        (Some(_), Some(_)) => {
            errors.push(FieldError::new(
                "projectId",
                "give either resource.projectId or projectId, not both",
            ));
            String::new()
        }
        (Some(r), None) => check_project_id("resource.projectId", r.project_id.as_deref(), errors),
        (None, flat) => check_project_id(
            if flat.is_some() {
                "projectId"
            } else {
                "resource.projectId"
            },
            flat.as_deref(),
            errors,
        ),
    }
}

static REPOSITORY: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)*$").expect("valid regex"));

pub fn check_repository(field: &str, value: &str) -> Result<(), FieldError> {
    if value.is_empty() || value.len() > 512 {
        return Err(FieldError::new(field, "must be 1-512 characters"));
    }
    if !REPOSITORY.is_match(value) || value.split('/').any(|s| s == "." || s == "..") {
        return Err(FieldError::new(
            field,
            format!(
                "\"{}\" is not a repository name (owner/name or name)",
                shown(value)
            ),
        ));
    }
    Ok(())
}

impl StartScanInput {
    pub fn validate(self, max_items: usize) -> Result<ScanRequest, Error> {
        let mut errors = Vec::new();
        let given = [
            self.resource.is_some(),
            self.project_id.is_some(),
            self.repository.is_some(),
            self.project_ids.is_some(),
            self.repositories.is_some(),
        ];
        if given.iter().filter(|g| **g).count() > 1 {
            return Err(Error::invalid_field(
                "resource.projectId",
                "give exactly one of resource.projectId, projectId, repository, projectIds, repositories",
            ));
        }
        if let Some(token) = &self.client_token
            && let Err(e) = check_client_token("clientToken", token)
        {
            errors.push(e);
        }
        let list = |field: &str, items: Vec<String>, errors: &mut Vec<FieldError>| {
            if items.is_empty() || items.len() > max_items {
                errors.push(FieldError::new(
                    field,
                    format!("must hold 1-{max_items} items"),
                ));
            }
            let mut seen = std::collections::HashSet::new();
            for (i, item) in items.iter().enumerate() {
                if !seen.insert(item.as_str()) {
                    errors.push(FieldError::new(format!("{field}[{i}]"), "is a duplicate"));
                }
            }
            items
        };
        let (targets, fan_out) = if let Some(ids) = self.project_ids {
            let ids = list("projectIds", ids, &mut errors);
            let targets = ids
                .iter()
                .enumerate()
                .map(|(i, p)| {
                    ScanTarget::ProjectId(check_project_id(
                        &format!("projectIds[{i}]"),
                        Some(p),
                        &mut errors,
                    ))
                })
                .collect();
            (targets, true)
        } else if let Some(repos) = self.repositories {
            let repos = list("repositories", repos, &mut errors);
            for (i, r) in repos.iter().enumerate() {
                if let Err(e) = check_repository(&format!("repositories[{i}]"), r) {
                    errors.push(e);
                }
            }
            (
                repos.into_iter().map(ScanTarget::Repository).collect(),
                true,
            )
        } else if let Some(repo) = self.repository {
            if let Err(e) = check_repository("repository", &repo) {
                errors.push(e);
            }
            (vec![ScanTarget::Repository(repo)], false)
        } else {
            let project = project_from(self.resource, self.project_id, &mut errors);
            (vec![ScanTarget::ProjectId(project)], false)
        };
        finish(
            ScanRequest {
                targets,
                fan_out,
                client_token: self.client_token,
            },
            errors,
        )
    }
}

impl GetScanInput {
    pub fn validate(self) -> Result<GetScan, Error> {
        let mut errors = Vec::new();
        let project_id = project_from(self.resource, self.project_id, &mut errors);
        let scan_id = match self.scan_id {
            None => {
                errors.push(FieldError::new("scanId", "is required"));
                String::new()
            }
            Some(s) if !SCAN_ID.is_match(&s) => {
                errors.push(FieldError::new(
                    "scanId",
                    format!("\"{}\" is not a scan id", shown(&s)),
                ));
                String::new()
            }
            Some(s) => s,
        };
        finish(
            GetScan {
                project_id,
                scan_id,
            },
            errors,
        )
    }
}

impl DisassociateInput {
    /// Any number of items from 1 to `max_items`; the executor splits them
    /// into calls of at most 25. Duplicates are rejected: the answer must
    /// account for each item exactly once, which a duplicate makes ambiguous.
    pub fn validate(self, max_items: usize) -> Result<Disassociate, Error> {
        const FIELD: &str = "disassociateConfigurationRequests";
        let Some(requests) = self.disassociate_configuration_requests else {
            return Err(Error::invalid_field(FIELD, "is required"));
        };
        if requests.is_empty() {
            return Err(Error::invalid_field(FIELD, "must hold at least one item"));
        }
        if requests.len() > max_items {
            return Err(Error::invalid_field(
                FIELD,
                format!(
                    "holds {} items; at most {max_items} per request",
                    requests.len()
                ),
            ));
        }
        let mut errors = Vec::new();
        let mut items = Vec::with_capacity(requests.len());
        let mut seen = std::collections::HashMap::with_capacity(requests.len());
        for (i, req) in requests.into_iter().enumerate() {
            let arn_field = format!("{FIELD}[{i}].scanConfigurationArn");
            let scan_configuration_arn = match req.scan_configuration_arn {
                None => {
                    errors.push(FieldError::new(arn_field, "is required"));
                    String::new()
                }
                Some(a) if !SCAN_CONFIGURATION_ARN.is_match(&a) => {
                    errors.push(FieldError::new(
                        arn_field,
                        format!(
                            "\"{}\" is not a code security scan configuration ARN",
                            shown(&a)
                        ),
                    ));
                    String::new()
                }
                Some(a) => a,
            };
            let project_field = format!("{FIELD}[{i}].resource.projectId");
            let project_id = check_project_id(
                &project_field,
                req.resource.and_then(|r| r.project_id).as_deref(),
                &mut errors,
            );
            let item = DisassociateItem {
                scan_configuration_arn,
                project_id,
            };
            if !item.scan_configuration_arn.is_empty() && !item.project_id.is_empty() {
                if let Some(first) = seen.insert(item.clone(), i) {
                    errors.push(FieldError::new(
                        format!("{FIELD}[{i}]"),
                        format!("duplicates {FIELD}[{first}]"),
                    ));
                }
            }
            items.push(item);
        }
        finish(Disassociate { items }, errors)
    }
}

impl StartRunInput {
    pub fn validate(self) -> Result<StartRun, Error> {
        let mut errors = Vec::new();
        let arn = match self.assessment_template_arn {
            None => {
                errors.push(FieldError::new("assessmentTemplateArn", "is required"));
                String::new()
            }
            Some(a) => {
                if check_len("assessmentTemplateArn", &a, 300, &mut errors)
                    && !a.starts_with("arn:")
                {
                    errors.push(FieldError::new(
                        "assessmentTemplateArn",
                        format!("\"{}\" is not an ARN", shown(&a)),
                    ));
                }
                a
            }
        };
        if let Some(name) = &self.assessment_run_name {
            check_len("assessmentRunName", name, 140, &mut errors);
        }
        finish(
            StartRun {
                assessment_template_arn: arn,
                assessment_run_name: self.assessment_run_name,
            },
            errors,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    pub const PROJECT: &str = "project-0a1b2c3d-4e5f-6a7b-8c9d-0e1f2a3b4c5d";
    pub const CONFIG_ARN: &str = "arn:aws:inspector2:us-east-1:123456789012:owner/123456789012/codesecurity-configuration/0a1b2c3d-4e5f-6a7b-8c9d-0e1f2a3b4c5d";

    fn fields(e: Error) -> Vec<String> {
        e.fields().iter().map(|f| f.field.clone()).collect()
    }

    #[test]
    fn start_scan_accepts_both_shapes() {
        let a: StartScanInput = decode_input(json!({"resource": {"projectId": PROJECT}})).unwrap();
        assert_eq!(
            a.validate(10).unwrap().targets,
            [ScanTarget::ProjectId(PROJECT.into())]
        );
        let b: StartScanInput =
            decode_input(json!({"projectId": PROJECT, "clientToken": "abc"})).unwrap();
        let b = b.validate(10).unwrap();
        assert_eq!(b.client_token.as_deref(), Some("abc"));
        assert!(!b.fan_out);
    }

    #[test]
    fn start_scan_names_bad_fields() {
        let e = decode_input::<StartScanInput>(
            json!({"projectId": "project-XYZ", "clientToken": "has space"}),
        )
        .unwrap()
        .validate(10)
        .unwrap_err();
        assert_eq!(fields(e), ["clientToken", "projectId"]);
        let e = decode_input::<StartScanInput>(json!({}))
            .unwrap()
            .validate(10)
            .unwrap_err();
        assert_eq!(fields(e), ["resource.projectId"]);
        let long = "x".repeat(65);
        let e = decode_input::<StartScanInput>(json!({"projectId": PROJECT, "clientToken": long}))
            .unwrap()
            .validate(10)
            .unwrap_err();
        assert_eq!(fields(e), ["clientToken"]);
    }

    #[test]
    fn repositories_and_fan_out_lists() {
        let r = decode_input::<StartScanInput>(json!({"repository": "octo-org/payments-api"}))
            .unwrap()
            .validate(10)
            .unwrap();
        assert_eq!(
            r.targets,
            [ScanTarget::Repository("octo-org/payments-api".into())]
        );
        let r = decode_input::<StartScanInput>(json!({"repositories": ["a/b", "group/sub/c"]}))
            .unwrap()
            .validate(10)
            .unwrap();
        assert!(r.fan_out && r.targets.len() == 2);
        for bad in [
            json!({"repository": "../etc"}),
            json!({"repository": "a b"}),
            json!({"repositories": []}),
            json!({"projectIds": [PROJECT, PROJECT]}),
            json!({"projectIds": ["x"]}),
            json!({"repository": "a/b", "projectId": PROJECT}),
        ] {
            let e = decode_input::<StartScanInput>(bad.clone())
                .unwrap()
                .validate(10);
            assert!(e.is_err(), "{bad}");
        }
    }

    #[test]
    fn unknown_and_mistyped_fields_are_named() {
        let e = decode_input::<StartScanInput>(json!({"projectID": PROJECT})).unwrap_err();
        assert_eq!(e.code(), "InvalidRequest");
        assert!(e.to_string().contains("projectID"), "{e}");
        let e = decode_input::<StartScanInput>(json!({"resource": {"projectId": 5}})).unwrap_err();
        assert_eq!(fields(e), ["resource.projectId"]);
    }

    #[test]
    fn disassociate_validates_every_item_and_rejects_duplicates() {
        let item = json!({"scanConfigurationArn": CONFIG_ARN, "resource": {"projectId": PROJECT}});
        let bad = json!({"scanConfigurationArn": "arn:aws:s3:::bucket", "resource": {}});
        let input: DisassociateInput = decode_input(json!({
            "disassociateConfigurationRequests": [item, bad, item]
        }))
        .unwrap();
        let e = input.validate(100).unwrap_err();
        assert_eq!(
            fields(e),
            [
                "disassociateConfigurationRequests[1].scanConfigurationArn",
                "disassociateConfigurationRequests[1].resource.projectId",
                "disassociateConfigurationRequests[2]",
            ]
        );
        let empty: DisassociateInput =
            decode_input(json!({"disassociateConfigurationRequests": []})).unwrap();
        assert!(empty.validate(100).is_err());
    }

    #[test]
    fn disassociate_accepts_more_than_25() {
        let items: Vec<_> = (0..60)
            .map(|i| {
                json!({"scanConfigurationArn": CONFIG_ARN,
                       "resource": {"projectId": format!("project-0a1b2c3d-4e5f-6a7b-8c9d-{i:012x}")}})
            })
            .collect();
        let input: DisassociateInput =
            decode_input(json!({"disassociateConfigurationRequests": items})).unwrap();
        assert_eq!(input.validate(1000).unwrap().items.len(), 60);
    }

    #[test]
    fn gov_and_org_arns_match_the_service_pattern() {
        for arn in [
            "arn:aws-us-gov:inspector2:us-gov-west-1:123456789012:owner/o-abcdefghij/codesecurity-configuration/0a1b2c3d-4e5f-6a7b-8c9d-0e1f2a3b4c5d",
            CONFIG_ARN,
        ] {
            assert!(SCAN_CONFIGURATION_ARN.is_match(arn), "{arn}");
        }
        assert!(!SCAN_CONFIGURATION_ARN.is_match(&format!("{CONFIG_ARN}\n")));
        // Digits are ASCII digits only, not any Unicode decimal digit.
        let arabic = CONFIG_ARN.replacen("123456789012", "١٢٣٤٥٦٧٨٩٠١٢", 1);
        assert!(!SCAN_CONFIGURATION_ARN.is_match(&arabic));
    }

    #[test]
    fn start_run_limits() {
        let ok: StartRunInput = decode_input(json!({
            "assessmentTemplateArn": "arn:aws:inspector:us-east-1:123456789012:target/0-abc/template/0-def",
            "assessmentRunName": "nightly"
        }))
        .unwrap();
        assert!(ok.validate().is_ok());
        let e = decode_input::<StartRunInput>(json!({
            "assessmentTemplateArn": "x".repeat(301),
            "assessmentRunName": ""
        }))
        .unwrap()
        .validate()
        .unwrap_err();
        assert_eq!(fields(e), ["assessmentTemplateArn", "assessmentRunName"]);
    }

    #[test]
    fn shown_escapes_and_truncates() {
        assert_eq!(shown("a\u{1b}[31m"), "a\\u{1b}[31m");
        assert!(shown(&"y".repeat(500)).ends_with("..."));
    }
}
