//! Fan-out: 10,000 disassociation items (400 service calls) against a
//! stand-in with 50 ms latency per call, at the configured concurrency.
//! Reports the wall time against the ideal ceil(400 / concurrency) x 50 ms.
//! `cargo bench --bench fanout` (BATCH_CONCURRENCY to change the bound).

use inspector_scan_router::{App, Settings};
use lambda_runtime::{Context, LambdaEvent};
use serde_json::{Value, json};
use std::time::{Duration, Instant};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

const LATENCY: Duration = Duration::from_millis(50);

struct Echo;
impl Respond for Echo {
    fn respond(&self, req: &Request) -> ResponseTemplate {
        let body: Value = serde_json::from_slice(&req.body).unwrap();
        ResponseTemplate::new(200)
            .set_delay(LATENCY)
            .set_body_json(json!({"successfulAssociations": body["disassociateConfigurationRequests"], "failedAssociations": []}))
    }
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .and(path("/codesecurity/scan-configuration/batch/disassociate"))
            .respond_with(Echo)
            .mount(&server)
            .await;
        let mut settings = Settings::from_env().expect("settings");
        // Disassociation is off unless switched on (DISASSOCIATION_ENABLED).
        settings.trust.switches = settings
            .trust
            .switches
            .with(inspector_scan_router::domain::Direction::Disassociate.switch(), true);
        let concurrency = settings.batch.concurrency;
        let loader = aws_config::defaults(aws_config::BehaviorVersion::latest())
            .region(aws_config::Region::new("us-east-1"))
            .endpoint_url(server.uri())
            .credentials_provider(aws_sdk_inspector2::config::Credentials::new("AKIDEXAMPLE", "s", None, None, "bench"));
        let sdk = inspector_scan_router::inspector::resilience(loader, &settings.sdk).load().await;
        let app = App::new(settings, Some(&sdk));
        let items: Vec<Value> = (0..10_000)
            .map(|i| json!({"scanConfigurationArn": "arn:aws:inspector2:us-east-1:123456789012:owner/123456789012/codesecurity-configuration/7c1e2d3f-4a5b-6c7d-8e9f-0a1b2c3d4e5f",
                             "resource": {"projectId": format!("project-0a1b2c3d-4e5f-6a7b-8c9d-{i:012x}")}}))
            .collect();
        let event = json!({"action": "BatchDisassociateCodeSecurityScanConfiguration", "disassociateConfigurationRequests": items});
        let calls = 10_000usize.div_ceil(25);
        let ideal = LATENCY * calls.div_ceil(concurrency) as u32;
        let mut walls = Vec::new();
        for _ in 0..3 {
            let started = Instant::now();
            let r = app.handle(LambdaEvent::new(event.clone(), Context::default())).await.unwrap();
            walls.push(started.elapsed());
            assert_eq!(r["result"]["successfulAssociations"].as_array().unwrap().len(), 10_000);
        }
        walls.sort();
        let median = walls[1];
        println!(
            "{}",
            json!({
                "items": 10_000, "calls": calls, "concurrency": concurrency,
                "latency_ms": LATENCY.as_millis() as u64,
                "ideal_ms": ideal.as_millis() as u64,
                "wall_ms": walls.iter().map(|w| w.as_millis() as u64).collect::<Vec<_>>(),
                "median_ms": median.as_millis() as u64,
                "ratio": median.as_secs_f64() / ideal.as_secs_f64(),
            })
        );
    });
}
