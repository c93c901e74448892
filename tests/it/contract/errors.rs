//! Error mapping: every AWS error code of the three operations, as the real
//! SDK parses it off the wire, to the HTTP status and Lambda error a caller
//! sees; and the function's own 400/404/405/413 answers.

use crate::common;

use common::*;
use inspector_scan_router::ingress::answer::ErrorAnswer;
use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

/// restJson1 (inspector2) error: code in `x-amzn-errortype`, message in body.
fn rest_json_error(status: u16, code: &str) -> ResponseTemplate {
    ResponseTemplate::new(status)
        .insert_header("x-amzn-errortype", code)
        .set_body_json(json!({"message": format!("{code} from the stand-in: arn:aws:iam::123456789012:role/secret-role")}))
}

/// awsJson1.1 (Inspector Classic) error: `__type` in the body.
fn aws_json_error(status: u16, code: &str) -> ResponseTemplate {
    ResponseTemplate::new(status)
        .insert_header("content-type", "application/x-amz-json-1.1")
        .set_body_json(json!({"__type": format!("com.amazonaws.inspector#{code}"), "message": format!("{code} from the stand-in")}))
}

fn http_start_scan() -> Value {
    load_event("http-start-scan.json")
}

#[tokio::test]
async fn inspector2_errors_map_to_http_statuses() {
    let cases = [
        (400, "ValidationException", 400, false),
        (403, "AccessDeniedException", 403, false),
        (404, "ResourceNotFoundException", 404, false),
        (409, "ConflictException", 409, false),
        (429, "ThrottlingException", 429, true),
        (500, "InternalServerException", 502, true),
    ];
    for (wire_status, code, expected, retryable) in cases {
        let server = MockServer::start().await;
        let mut template = rest_json_error(wire_status, code);
        if code == "ThrottlingException" {
            template = template.insert_header("retry-after", "7");
        }
        Mock::given(method("POST"))
            .and(path("/codesecurity/scan/start"))
            .respond_with(template)
            .mount(&server)
            .await;
        let app = live_app(&server).await;

        let r = app.handle(event(http_start_scan())).await.unwrap();
        assert_eq!(r["statusCode"], expected, "{code}");
        let body = http_body(&r);
        assert_eq!(body["error"]["code"], code);
        assert_eq!(body["error"]["retryable"], retryable, "{code}");
        let text = body.to_string();
        if expected == 403 || expected >= 500 {
            assert!(
                !text.contains("secret-role"),
                "{code}: service detail leaked: {text}"
            );
        }
        assert!(
            !text.contains("stack backtrace") && !text.contains("src/"),
            "{text}"
        );
        if code == "ThrottlingException" {
            assert_eq!(resp_header(&r, "retry-after"), Some("7"));
            assert_eq!(body["error"]["retryAfterSeconds"], 7);
        } else {
            assert_eq!(resp_header(&r, "retry-after"), None, "{code}");
        }

        // The same failure from a non-HTTP trigger is a Lambda error, never a success.
        let err = app
            .handle(event(load_event("eventbridge-start-scan.json")))
            .await
            .unwrap_err();
        assert_eq!(err.code(), code);
        assert_eq!(err.retryable(), retryable);
        let d: lambda_runtime::Diagnostic = err.into();
        assert_eq!(d.error_type, code);
    }
}

#[tokio::test]
async fn classic_errors_map_to_http_statuses() {
    let cases = [
        ("InvalidInputException", 400),
        ("AccessDeniedException", 403),
        ("NoSuchEntityException", 404),
        ("InvalidCrossAccountRoleException", 403),
        ("AgentsAlreadyRunningAssessmentException", 409),
        ("LimitExceededException", 429),
        ("InternalException", 502),
        ("ServiceTemporarilyUnavailableException", 503),
    ];
    for (code, expected) in cases {
        let server = MockServer::start().await;
        let wire_status = if code.starts_with("Internal") {
            500
        } else if code.starts_with("Service") {
            503
        } else {
            400
        };
        Mock::given(method("POST"))
            .and(path("/"))
            .respond_with(aws_json_error(wire_status, code))
            .mount(&server)
            .await;
        let r = handled(&server, "http-start-assessment-run.json")
            .await
            .unwrap();
        assert_eq!(r["statusCode"], expected, "{code}");
        assert_eq!(http_body(&r)["error"]["code"], code);

        let err = handled(&server, "direct-start-assessment-run.json")
            .await
            .unwrap_err();
        assert_eq!(err.code(), code);
        assert_eq!(err.http_status(), expected);
    }
}

#[tokio::test]
async fn unreachable_endpoint_is_503_and_retryable() {
    // Nothing listens on this port once the listener is dropped.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let sdk = sdk_config(&format!("http://127.0.0.1:{port}"), 1).await;
    let app = inspector_scan_router::App::new(crate::common::settings(), Some(&sdk));
    let r = app.handle(event(http_start_scan())).await.unwrap();
    assert_eq!(r["statusCode"], 503);
    assert_eq!(http_body(&r)["error"]["code"], "DispatchFailure");
}

#[tokio::test]
async fn get_scan_not_found_is_404() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/codesecurity/scan/get"))
        .respond_with(rest_json_error(404, "ResourceNotFoundException"))
        .mount(&server)
        .await;
    let r = handled(&server, "http-get-scan.json").await.unwrap();
    assert_eq!(r["statusCode"], 404);
}

fn http(method: &str, path: &str, body: Option<&str>) -> Value {
    http_event(method, path, body, false)
}

#[tokio::test]
async fn bad_requests_never_reach_aws() {
    let server = MockServer::start().await; // no mocks: any call would be a 404 from wiremock
    let app = live_app_with(
        &server,
        {
            let mut s = crate::common::settings();
            s.limits.max_body_bytes = 2048;
            s
        },
        1,
    )
    .await;
    let big = format!("{{\"projectId\": \"{}\"}}", "a".repeat(4096));
    let cases: Vec<(Value, u16, &str, Option<&str>)> = vec![
        (
            http("POST", "/scans", Some("{\"projectId\": ")),
            400,
            "MalformedRequest",
            None,
        ),
        (http("POST", "/scans", None), 400, "MalformedRequest", None),
        (
            http("POST", "/scans", Some("{\"projectId\": \"project-nope\"}")),
            400,
            "InvalidRequest",
            Some("projectId"),
        ),
        (
            http("POST", "/scans", Some("{\"projectID\": \"x\"}")),
            400,
            "InvalidRequest",
            Some(""),
        ),
        (
            http(
                "POST",
                "/scan-configurations/disassociate",
                Some(
                    "{\"disassociateConfigurationRequests\": [{\"scanConfigurationArn\": \"arn:aws:s3:::b\", \"resource\": {\"projectId\": \"x\"}}]}",
                ),
            ),
            400,
            "InvalidRequest",
            Some("disassociateConfigurationRequests[0].scanConfigurationArn"),
        ),
        (
            http("POST", "/assessment-runs", Some("{}")),
            400,
            "InvalidRequest",
            Some("assessmentTemplateArn"),
        ),
        (
            http("GET", "/scans/project-x/../../etc", None),
            404,
            "NotFound",
            None,
        ),
        (http("GET", "/nowhere", None), 404, "NotFound", None),
        (
            http("PUT", "/scans", Some("{}")),
            405,
            "MethodNotAllowed",
            None,
        ),
        (
            http("POST", "/scans", Some(&big)),
            413,
            "PayloadTooLarge",
            None,
        ),
    ];
    for (e, status, code, field) in cases {
        let r = app.handle(event(e.clone())).await.unwrap();
        assert_eq!(r["statusCode"], status, "{} {}", e["rawPath"], e["body"]);
        let body = http_body(&r);
        assert_eq!(body["error"]["code"], code, "{body}");
        if let Some(field) = field {
            let fields = body["error"]["fields"].as_array().expect("fields named");
            if field.is_empty() {
                assert!(
                    body["error"]["message"]
                        .as_str()
                        .unwrap()
                        .contains("projectID"),
                    "{body}"
                );
            } else {
                assert!(
                    fields.iter().any(|f| f["field"] == field),
                    "{field} not in {body}"
                );
            }
        }
        if status == 405 {
            assert_eq!(resp_header(&r, "allow"), Some("POST"));
        }
    }
    assert!(
        requests(&server).await.is_empty(),
        "a bad request reached AWS"
    );
}

#[tokio::test]
async fn unsupported_events_are_lambda_errors_naming_what_was_expected() {
    let app = dry_app();
    for payload in [
        json!({"Records": [{"eventSource": "aws:sqs"}]}),
        json!({"version": "0", "id": "x", "source": "aws.ec2", "account": "123456789012", "detail-type": "EC2 Instance State-change Notification", "detail": {}}),
        json!(42),
    ] {
        let err = app.handle(event(payload.clone())).await.unwrap_err();
        assert_eq!(err.code(), "UnsupportedEvent", "{payload}");
        assert!(err.to_string().contains("StartCodeSecurityScan"), "{err}");
    }
}
