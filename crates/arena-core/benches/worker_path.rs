//! The browser worker's ratings path, natively: what the Leaderboard page waits for after a
//! reload (unpack the stored rating blob, order the rows, rank) and after one more vote
//! (append its row, fold it into the kept [`Ranking`], rank), on the votes of a file.
//!
//! `cargo bench -p arena-core --bench worker_path -- VOTES.jsonl [--runs 3]`
//! (FastChat-shaped votes: `crates/arena-cli/benches/read_path.py --fastchat N` writes them).

use std::time::Instant;

use arena_core::formats::{RecordReader, rows::RowSink};
use arena_core::ratings::packed::{VoteId, pack, sort_after, sort_by_time_then_id, unpack};
use arena_core::ratings::{LeaderboardOptions, Ranking, compute_leaderboard_rows};

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    let path = args
        .iter()
        .find(|a| !a.starts_with("--") && a.parse::<usize>().is_err())
        .expect("usage: worker_path VOTES.jsonl [--runs N]");
    let runs: usize = args
        .iter()
        .position(|a| a == "--runs")
        .and_then(|i| args.get(i + 1)?.parse().ok())
        .unwrap_or(3);
    let file = std::fs::File::open(path).expect("open the votes file");
    let mut reader = RecordReader::detect(std::io::BufReader::with_capacity(1 << 20, file))
        .expect("read the votes file");
    let mut sink = RowSink::new(true);
    while let Some(r) = reader.next_row(&mut sink) {
        r.expect("a valid file");
    }
    let rows = sink.into_rows();
    let ids: Vec<VoteId> = (0..rows.len() as u128)
        .map(|i| VoteId::Uuid(i << 64 | 0x4000_8000_0000_0000 | i))
        .collect();
    let blob = pack(&rows, &ids);
    println!(
        "{} votes, {} models; the stored blob: {:.1} MiB",
        rows.len(),
        rows.models.len(),
        blob.len() as f64 / f64::from(1 << 20)
    );
    let opts = LeaderboardOptions::default();
    // `--profile N`: only rank N times (for a profiler).
    if let Some(k) = args
        .iter()
        .position(|a| a == "--profile")
        .and_then(|i| args.get(i + 1)?.parse::<usize>().ok())
    {
        for _ in 0..k {
            compute_leaderboard_rows(&rows, &opts).expect("a leaderboard");
        }
        return;
    }
    let (mut unpack_s, mut sort_s, mut rank_s, mut vote_s) = (vec![], vec![], vec![], vec![]);
    for _ in 0..runs {
        let t = Instant::now();
        let (mut r, mut i) = unpack(&blob).expect("the blob reads back");
        unpack_s.push(t.elapsed().as_secs_f64());
        let t = Instant::now();
        sort_by_time_then_id(&mut r, &mut i);
        sort_s.push(t.elapsed().as_secs_f64());
        let t = Instant::now();
        let mut ranking = Ranking::new(&opts.filter, opts.seed);
        ranking.update(&r).expect("a fresh ranking");
        let lb = ranking.leaderboard(&r, &opts).expect("a leaderboard");
        rank_s.push(t.elapsed().as_secs_f64());
        assert!(!lb.rows.is_empty());
        // One more vote: the newest row again, under a new id.
        let (one, _) = unpack(&pack(&rows, &ids)).expect("blob");
        let t = Instant::now();
        let sorted = r.len();
        let mut last = arena_core::ratings::rows::RatingRows::new(true);
        last.extend_where(
            &one,
            &(0..one.len())
                .map(|k| k + 1 == one.len())
                .collect::<Vec<_>>(),
        );
        r.extend(&last);
        i.push(VoteId::Other("one-more".into()));
        sort_after(&mut r, &mut i, sorted);
        if ranking.update(&r).is_err() {
            ranking = Ranking::new(&opts.filter, opts.seed);
            ranking.update(&r).expect("a fresh ranking");
        }
        let again = ranking.leaderboard(&r, &opts).expect("a leaderboard");
        vote_s.push(t.elapsed().as_secs_f64());
        assert_eq!(again.summary.records, lb.summary.records + 1);
    }
    let ms = |v: Vec<f64>| median(v) * 1e3;
    println!(
        "reload: unpack {:.0} ms · order {:.0} ms · rank {:.0} ms; one more vote: {:.0} ms (median of {runs})",
        ms(unpack_s),
        ms(sort_s),
        ms(rank_s),
        ms(vote_s)
    );
}
