//! A stand-in for Inspector that keeps state as the services do: one scan
//! per clientToken, one run per (template, name), run look-ups by name
//! pattern over pages, coverage by project name over two pages.

use super::{START_SCAN_PATH, on_post, serving};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use wiremock::matchers::{header, method};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

#[derive(Default)]
pub struct State {
    /// clientToken -> scanId
    pub scans: HashMap<String, String>,
    /// (template, name) -> run arn
    pub runs: HashMap<(String, String), String>,
    /// Templates whose agents are busy: a start is refused whatever the name.
    pub busy: Vec<String>,
    /// The run look-up's name filter also matches names that merely contain
    /// the pattern (a service that matches more than asked).
    pub loose_name_filter: bool,
}

#[derive(Clone, Default)]
pub struct Inspector {
    pub state: Arc<Mutex<State>>,
    /// coverage: project name -> [(resourceId, projectName)]
    pub coverage: Arc<HashMap<String, Vec<(String, String)>>>,
}

struct StartScan(Inspector);
impl Respond for StartScan {
    fn respond(&self, req: &Request) -> ResponseTemplate {
        let body: Value = serde_json::from_slice(&req.body).unwrap();
        let token = body["clientToken"]
            .as_str()
            .expect("every start carries a clientToken")
            .to_string();
        let mut st = self.0.state.lock().unwrap();
        let n = st.scans.len();
        let id = st
            .scans
            .entry(token)
            .or_insert_with(|| format!("00000000-0000-4000-8000-{n:012}"))
            .clone();
        ResponseTemplate::new(200).set_body_json(json!({"scanId": id, "status": "IN_PROGRESS"}))
    }
}

struct ListCoverage(Inspector);
impl Respond for ListCoverage {
    fn respond(&self, req: &Request) -> ResponseTemplate {
        let body: Value = serde_json::from_slice(&req.body).unwrap();
        assert_eq!(
            body["filterCriteria"]["resourceType"],
            json!([{"comparison": "EQUALS", "value": "CODE_REPOSITORY"}])
        );
        let name = body["filterCriteria"]["codeRepositoryProjectName"][0]["value"]
            .as_str()
            .unwrap();
        let all = self.0.coverage.get(name).cloned().unwrap_or_default();
        // Two pages: the first carries a nextToken, the second the rest.
        let (page, next) = match body.get("nextToken") {
            None if all.len() > 1 => (&all[..1], Some("page-2")),
            None => (&all[..], None),
            Some(_) => (&all[1..], None),
        };
        let resources: Vec<Value> = page
            .iter()
            .map(|(id, pname)| json!({
                "resourceType": "CODE_REPOSITORY", "resourceId": id, "accountId": "123456789012",
                "scanType": "CODE", "resourceMetadata": {"codeRepository": {
                    "projectName": pname, "providerType": "GITHUB", "providerTypeVisibility": "PRIVATE",
                    "integrationArn": format!("arn:aws:inspector2:us-east-1:123456789012:codesecurity-integration/{pname}")}}
            }))
            .collect();
        let mut out = json!({"coveredResources": resources});
        if let Some(n) = next {
            out["nextToken"] = n.into();
        }
        ResponseTemplate::new(200).set_body_json(out)
    }
}

struct StartRun(Inspector);
impl Respond for StartRun {
    fn respond(&self, req: &Request) -> ResponseTemplate {
        let body: Value = serde_json::from_slice(&req.body).unwrap();
        let tpl = body["assessmentTemplateArn"].as_str().unwrap().to_string();
        let name = body["assessmentRunName"]
            .as_str()
            .expect("runs are named")
            .to_string();
        let mut st = self.0.state.lock().unwrap();
        if st.busy.contains(&tpl) {
            return ResponseTemplate::new(400).set_body_json(json!({
                "__type": "AgentsAlreadyRunningAssessmentException",
                "message": "the template's agents are running another assessment",
                "agents": [], "agentsTruncated": false, "canRetry": true
            }));
        }
        if st.runs.contains_key(&(tpl.clone(), name.clone())) {
            return ResponseTemplate::new(400).set_body_json(json!({
                "__type": "InvalidInputException", "message": "assessment run name is already taken",
                "errorCode": "INVALID_ASSESSMENT_RUN_STATE", "canRetry": false
            }));
        }
        let arn = format!("{tpl}/run/0-{:08}", st.runs.len());
        st.runs.insert((tpl, name), arn.clone());
        ResponseTemplate::new(200).set_body_json(json!({"assessmentRunArn": arn}))
    }
}

/// `*` and `?` as the service's namePattern takes them.
fn glob(pattern: &[u8], name: &[u8]) -> bool {
    match (pattern.first(), name.first()) {
        (None, None) => true,
        (Some(b'*'), _) => {
            glob(&pattern[1..], name) || (!name.is_empty() && glob(pattern, &name[1..]))
        }
        (Some(b'?'), Some(_)) => glob(&pattern[1..], &name[1..]),
        (Some(p), Some(n)) if p == n => glob(&pattern[1..], &name[1..]),
        _ => false,
    }
}

/// ListAssessmentRuns: the template's runs whose names match the pattern,
/// one per page (the service pages; the function must read them all).
struct ListRuns(Inspector);
impl Respond for ListRuns {
    fn respond(&self, req: &Request) -> ResponseTemplate {
        let body: Value = serde_json::from_slice(&req.body).unwrap();
        let tpl = body["assessmentTemplateArns"][0].as_str().unwrap();
        let pattern = body["filter"]["namePattern"].as_str().unwrap();
        let st = self.0.state.lock().unwrap();
        let mut arns: Vec<&String> = st
            .runs
            .iter()
            .filter(|((t, name), _)| {
                t == tpl
                    && (glob(pattern.as_bytes(), name.as_bytes())
                        || (st.loose_name_filter && name.contains(pattern)))
            })
            .map(|(_, arn)| arn)
            .collect();
        arns.sort();
        let page: usize = body["nextToken"].as_str().map_or(0, |t| t.parse().unwrap());
        let mut out = json!({"assessmentRunArns": arns.get(page).into_iter().collect::<Vec<_>>()});
        if page + 1 < arns.len() {
            out["nextToken"] = (page + 1).to_string().into();
        }
        ResponseTemplate::new(200).set_body_json(out)
    }
}

/// DescribeAssessmentRuns: each run's name.
struct DescribeRuns(Inspector);
impl Respond for DescribeRuns {
    fn respond(&self, req: &Request) -> ResponseTemplate {
        let body: Value = serde_json::from_slice(&req.body).unwrap();
        let st = self.0.state.lock().unwrap();
        let runs: Vec<Value> = body["assessmentRunArns"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|arn| {
                st.runs
                    .iter()
                    .find(|(_, a)| *a == arn)
                    .map(|((tpl, name), a)| json!({"arn": a, "name": name, "assessmentTemplateArn": tpl}))
            })
            .collect();
        ResponseTemplate::new(200).set_body_json(json!({"assessmentRuns": runs, "failedItems": {}}))
    }
}

pub async fn stateful_stand_in(
    coverage: HashMap<String, Vec<(String, String)>>,
) -> (MockServer, Inspector) {
    let inspector = Inspector {
        coverage: Arc::new(coverage),
        ..Inspector::default()
    };
    let server = serving(START_SCAN_PATH, StartScan(inspector.clone())).await;
    on_post(&server, "/coverage/list", ListCoverage(inspector.clone())).await;
    Mock::given(method("POST"))
        .and(header(
            "x-amz-target",
            "InspectorService.StartAssessmentRun",
        ))
        .respond_with(StartRun(inspector.clone()))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(header(
            "x-amz-target",
            "InspectorService.ListAssessmentRuns",
        ))
        .respond_with(ListRuns(inspector.clone()))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(header(
            "x-amz-target",
            "InspectorService.DescribeAssessmentRuns",
        ))
        .respond_with(DescribeRuns(inspector.clone()))
        .mount(&server)
        .await;
    (server, inspector)
}
