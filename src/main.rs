use inspector_scan_router::{App, Settings};
use lambda_runtime::{LambdaEvent, service_fn};
use serde_json::Value;

/// Logs as JSON unless Lambda's log format is Text; level from
/// `AWS_LAMBDA_LOG_LEVEL`, then `RUST_LOG`, else info; the runtime and HTTP
/// crates never below info (see `telemetry::log_filter`).
fn init_tracing() {
    let level = std::env::var("AWS_LAMBDA_LOG_LEVEL")
        .or_else(|_| std::env::var("RUST_LOG"))
        .unwrap_or_else(|_| "info".to_string())
        .to_lowercase();
    let filter = inspector_scan_router::telemetry::log_filter(&level);
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false)
        .without_time();
    if std::env::var("AWS_LAMBDA_LOG_FORMAT").is_ok_and(|f| f.eq_ignore_ascii_case("text")) {
        builder.init();
    } else {
        builder
            .json()
            .flatten_event(true)
            .with_current_span(false)
            .init();
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    init_tracing();
    let settings = Settings::from_env()?;
    // CloudWatch Embedded Metric Format: one document per invocation on stdout.
    let function = std::env::var("AWS_LAMBDA_FUNCTION_NAME").unwrap_or_else(|_| "local".into());
    let metrics = metrics_cloudwatch_embedded::Builder::new()
        .cloudwatch_namespace(inspector_scan_router::telemetry::NAMESPACE)
        .with_dimension("FunctionName", function)
        .init()?;
    let sdk = if settings.dry_run {
        None
    } else {
        let loader = aws_config::defaults(aws_config::BehaviorVersion::latest());
        Some(
            inspector_scan_router::inspector::resilience(loader, &settings.sdk)
                .load()
                .await,
        )
    };
    let app = App::new(settings, sdk.as_ref());
    app.preconnect().await;
    tracing::info!(dry_run = app.settings.dry_run, "initialised");
    // One App (its clients and pacer) for every invocation: one at a time on
    // Lambda, `AWS_LAMBDA_MAX_CONCURRENCY` at once on Lambda Managed
    // Instances (the runtime polls that many events; unset or 1: one).
    let app = std::sync::Arc::new(app);
    lambda_runtime::run_concurrent(service_fn(move |event: LambdaEvent<Value>| {
        let app = app.clone();
        async move {
            let request_id = event.context.request_id.clone();
            let result = app.handle(event).await;
            if let Err(e) = metrics
                .set_property("RequestId", request_id)
                .flush(std::io::stdout().lock())
            {
                tracing::warn!(error = %e, "could not write metrics");
            }
            result
        }
    }))
    .await
}
