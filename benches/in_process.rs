//! The in-process path for each event kind: decode the event, route and
//! validate it, plan it (dry run: no AWS), and build the response.
//! `cargo bench --bench in_process`

use criterion::{Criterion, criterion_group, criterion_main};
use inspector_scan_router::{App, Settings};
use lambda_runtime::{Context, LambdaEvent};
use serde_json::Value;
use std::hint::black_box;

fn load(name: &str) -> Value {
    let path = format!("{}/events/{name}", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn bench(c: &mut Criterion) {
    let app = App::new(
        {
            let mut s = Settings {
                dry_run: true,
                ..Settings::default()
            };
            // Every operation switched on, as a deployment that uses them says.
            s.trust.switches = inspector_scan_router::domain::gate::Switches::ON;
            s.limits.assessment_template_arns =
                vec!["arn:aws:inspector:us-east-1:123456789012:target/0-a/template/0-b".into()];
            // The local test secrets the bundled webhook events are signed with.
            s.webhooks.dry_run_secrets = Some(inspector_scan_router::domain::WebhookSecrets {
                github: vec!["run-local-github-webhook-secret".into()],
                gitlab: vec!["run-local-gitlab-webhook-token".into()],
            });
            s
        },
        None,
    );
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let mut group = c.benchmark_group("in_process");
    for name in [
        "http-start-scan.json",
        "rest-start-scan.json",
        "http-disassociate.json",
        "eventbridge-start-scan.json",
        "eventbridge-github-push.json",
        "scheduled-event.json",
        "direct-start-assessment-run.json",
        "scheduler-start-scans.json",
        "webhook-github-push.json",
        "webhook-gitlab-push.json",
    ] {
        let event = load(name);
        group.bench_function(name.trim_end_matches(".json"), |b| {
            b.iter(|| {
                let e = LambdaEvent::new(black_box(event.clone()), Context::default());
                black_box(rt.block_on(app.handle(e)).unwrap())
            })
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
