//! The HTTP ceiling for `scripts/bench-http`: a bare axum server on the same runtime setup as
//! `tenths serve` that answers every request with a fixed JSON body read from a file (the same
//! bytes tenths answers), so the load generator measures the HTTP stack alone.
//! Usage: http_ceiling ADDR BODY_FILE

use axum::body::Body;
use axum::http::header::CONTENT_TYPE;
use axum::response::Response;

fn main() {
    let mut args = std::env::args().skip(1);
    let addr = args.next().unwrap_or_else(|| "127.0.0.1:0".into());
    let body_file = args.next().unwrap_or_default();
    let body: &'static [u8] = Box::leak(std::fs::read(&body_file).unwrap_or_else(|e| panic!("cannot read {body_file}: {e}")).into_boxed_slice());
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("tokio runtime");
    runtime.block_on(async move {
        let app = axum::Router::new()
            .fallback(move || async move { Response::builder().header(CONTENT_TYPE, "application/json").body(Body::from(body)).expect("response") });
        let listener = tokio::net::TcpListener::bind(&addr).await.expect("bind");
        println!("listening on http://{}", listener.local_addr().expect("addr"));
        axum::serve(listener, app).await.expect("serve");
    });
}
