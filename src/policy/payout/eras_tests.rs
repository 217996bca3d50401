//! Hand-computed cases for every rule of SCORING-ERAS.md the releases from 30 November 2025
//! follow: each expected value is worked out in the comment beside it.

use super::num::Num;
use super::*;
use crate::ledger::Status;
use crate::ledger::metagraph::{EmissionDtype, Metagraph, Price};
use crate::ledger::store::Store;
use crate::policy::dust::dust_weights;
use crate::policy::preset;
use crate::testutil::{rcp, set};
use crate::time::parse_time;

fn ms(s: &str) -> i64 {
    parse_time(s).unwrap()
}

fn mg(emission: Vec<f64>, price: Price, dtype: EmissionDtype) -> Metagraph {
    Metagraph {
        source: "m.json".into(),
        emission: Some(emission),
        tao_reserve_rao: Some(2.0e15),
        alpha_reserve_rao: Some(1.0e17),
        tao_to_usd_rate: price,
        emission_dtype: dtype,
        ..Metagraph::default()
    }
}

#[test]
fn r1_december_counts_november_emissions_as_a_separate_sum() {
    // November: realized 2e16 (MAINCOMP), emissions 1e16 then 0; December: 1 and 1.
    // actual = (1e16 + 0) + (1 + 1) = 1e16 + 2; one running sum would round each +1 away (1e16).
    let a = vec![
        rcp(ms("2025-11-10T00:00:00Z"), 2e16, 0.0, 1.0, "MAINCOMP", 1e16),
        rcp(ms("2025-11-10T12:00:00Z"), 0.0, 0.0, 1.0, "MAINCOMP", 0.0),
        rcp(ms("2025-12-02T00:00:00Z"), 0.0, 0.0, 1.0, "MAINCOMP", 1.0),
        rcp(ms("2025-12-02T12:00:00Z"), 0.0, 0.0, 1.0, "MAINCOMP", 1.0),
    ];
    let s = Store::from_set(&set(vec![("A", a)]));
    let r = monthly_r1::MonthlyR1::remaining(&AsOf::new(&s, ms("2025-12-03T00:00:00Z")), &Context::default());
    assert_eq!(r, vec![2e16 - (1e16 + 2.0)]);
    assert_ne!(r[0], 2e16 - (((1e16 + 0.0) + 1.0) + 1.0), "not one running sum");
    // R2 sums once since 1 November: the running sum.
    let r2 = cumulative::Cumulative::remaining(&AsOf::new(&s, ms("2025-12-03T00:00:00Z")), &Context::default());
    assert_eq!(r2, vec![2e16 - (((1e16 + 0.0) + 1.0) + 1.0)]);
}

#[test]
fn r1_needed_uses_the_last_earning_checkpoints_open_loss_and_normalises_targets() {
    let nov = |d: &str| ms(&format!("2025-11-{d}T00:00:00Z"));
    // A: realized 100×0.5 + 40×1; last earning checkpoint (the 20th) has unrealized −10 → needed 80.
    //    Its CHALLENGE checkpoint after that (unrealized −500) is not in the set.
    // B: realized 30, open gain ignored → 30; paid 10 in December → 20.
    let a = vec![
        rcp(nov("10"), 100.0, -999.0, 0.5, "MAINCOMP", 0.0),
        rcp(nov("20"), 40.0, -10.0, 1.0, "PROBATION", 0.0),
        rcp(nov("25"), 1000.0, -500.0, 1.0, "CHALLENGE", 0.0),
    ];
    let b = vec![
        rcp(nov("15"), 30.0, 50.0, 1.0, "MAINCOMP", 0.0),
        rcp(ms("2025-12-01T00:00:00Z"), 0.0, 0.0, 1.0, "MAINCOMP", 10.0),
    ];
    let s = Store::from_set(&set(vec![("A", a), ("B", b), ("C", vec![])]));
    let t = ms("2025-12-23T00:00:00Z"); // horizon 3
    let view = AsOf::new(&s, t);
    assert_eq!(monthly_r1::MonthlyR1::remaining(&view, &Context::default()), vec![80.0, 20.0, 0.0]);
    let Debt::Weights { weights, .. } = monthly_r1::MonthlyR1.debt(&view, &Context::default()).unwrap() else {
        panic!()
    };
    let (ta, tb) = (80.0 / 3.0, 20.0 / 3.0);
    let total = (0.0 + ta) + tb + 0.0;
    assert_eq!(weights, vec![Num::F64(ta / total), Num::F64(tb / total), Num::F64(0.0)]);
    // Before 1 December: dust and burn only.
    assert!(matches!(
        monthly_r1::MonthlyR1.debt(&AsOf::new(&s, ms("2025-11-30T23:59:59.999Z")), &Context::default()).unwrap(),
        Debt::DustOnly
    ));
}

#[test]
fn r1_raises_only_where_its_log_line_needs_a_price() {
    let a = vec![rcp(ms("2025-11-10T00:00:00Z"), 100.0, 0.0, 1.0, "MAINCOMP", 0.0)];
    let s = Store::from_set(&set(vec![("A", a)]));
    let bad = mg(vec![1.0], Price::Missing, EmissionDtype::Float64);
    let ctx = Context { metagraph: Some(&bad), paid: None };
    let e = monthly_r1::MonthlyR1.debt(&AsOf::new(&s, ms("2025-12-05T00:00:00Z")), &ctx).unwrap_err().to_string();
    assert!(e.contains("m.json") && e.contains("tao_to_usd_rate") && e.contains("30 November 2025"), "{e}");
    // After the 25th (horizon 0) the projection is skipped.
    assert!(monthly_r1::MonthlyR1.debt(&AsOf::new(&s, ms("2025-12-27T00:00:00Z")), &ctx).is_ok());
}

#[test]
fn r2_targets_over_the_projection_and_the_fallback() {
    let a = vec![rcp(ms("2025-11-10T00:00:00Z"), 1000.0, 0.0, 1.0, "MAINCOMP", 0.0)];
    let b = vec![rcp(ms("2025-11-11T00:00:00Z"), 500.0, 0.0, 1.0, "PROBATION", 0.0)];
    let s = Store::from_set(&set(vec![("A", a), ("B", b)]));
    let m = mg(vec![0.5, 1.5], Price::Value(400.0), EmissionDtype::Float64);
    let ctx = Context { metagraph: Some(&m), paid: None };
    // 2 December: horizon 4. E = 2; TAO = 2/360 × 28800 = 160; rate 0.02; ALPHA 8000; USD (8000 × 0.02) × 400; daily / 4.
    let t = ms("2025-12-02T00:00:00Z");
    let tao = (2.0f64 / 360.0) * 28800.0;
    let rate = 2.0e15 / 1.0e17;
    let daily = (((tao / rate) * rate) * 400.0) / 4.0;
    let Debt::Weights { weights, .. } = cumulative::Cumulative.debt(&AsOf::new(&s, t), &ctx).unwrap() else { panic!() };
    assert_eq!(weights, vec![Num::F64((1000.0 / 4.0) / daily), Num::F64((500.0 / 4.0) / daily)]);
    // S = 1000/4/daily + 500/4/daily + dust ≪ 1: the burn takes the surplus.
    let p = cumulative::Cumulative.weights(&AsOf::new(&s, t), &[1.5e-5, 1.5e-5], &ctx).unwrap();
    assert!(p.burn.unwrap() > 0.9);
    // 27 December: horizon 0, projection 0 → R1's normalisation: 1000/1500 and 500/1500, no burn.
    let t = ms("2025-12-27T00:00:00Z");
    let Debt::Weights { weights, .. } = cumulative::Cumulative.debt(&AsOf::new(&s, t), &ctx).unwrap() else { panic!() };
    assert_eq!(weights, vec![Num::F64(1000.0 / 1500.0), Num::F64(500.0 / 1500.0)]);
    // A zero reserve also falls back, whatever the price.
    let mut zero = mg(vec![0.5, 1.5], Price::Missing, EmissionDtype::Float64);
    zero.tao_reserve_rao = Some(0.0);
    let ctx0 = Context { metagraph: Some(&zero), paid: None };
    assert!(cumulative::Cumulative.debt(&AsOf::new(&s, ms("2025-12-02T00:00:00Z")), &ctx0).is_ok());
    // A missing price raises whether or not anyone is owed; so does a missing emission list.
    let nobody = Store::from_set(&set(vec![("A", vec![])]));
    let no_price = mg(vec![1.0], Price::Missing, EmissionDtype::Float64);
    let e = cumulative::Cumulative
        .debt(&AsOf::new(&nobody, ms("2025-12-02T00:00:00Z")), &Context { metagraph: Some(&no_price), paid: None })
        .unwrap_err()
        .to_string();
    assert!(e.contains("tao_to_usd_rate") && e.contains("5 December 2025"), "{e}");
    assert!(cumulative::Cumulative.debt(&AsOf::new(&s, ms("2025-12-02T00:00:00Z")), &Context::default()).is_err());
    // No miners: the burn alone, before anything can raise.
    let empty = Store::default();
    let p = cumulative::Cumulative
        .weights(&AsOf::new(&empty, ms("2025-12-02T00:00:00Z")), &[], &Context::default())
        .unwrap();
    assert_eq!(p.entries(), vec![(Target::Burn, 1.0)]);
}

#[test]
fn r2_float32_debt_weights() {
    let a = vec![rcp(ms("2025-11-10T00:00:00Z"), 1000.0, 0.0, 1.0, "MAINCOMP", 0.0)];
    let s = Store::from_set(&set(vec![
        ("A", a),
        ("B", vec![rcp(ms("2025-11-10T00:00:00Z"), 0.0, 0.0, 1.0, "CHALLENGE", 0.0)]),
    ]));
    let m = mg(vec![0.5, 1.5], Price::Value(400.0), EmissionDtype::Float32);
    let ctx = Context { metagraph: Some(&m), paid: None };
    let t = ms("2025-12-02T00:00:00Z");
    let e = 0.5f32 + 1.5f32;
    let rate = 2.0e15 / 1.0e17;
    let daily = ((((e / 360.0f32) * 28800.0f32) / rate as f32) * rate as f32 * 400.0f32) / 4.0f32;
    let dust = [4.5e-5, 1.5e-5];
    let p = cumulative::Cumulative.weights(&AsOf::new(&s, t), &dust, &ctx).unwrap();
    let w0 = (1000.0f64 / 4.0) as f32 / daily;
    let w1 = 0.0f32 / daily; // B owes nothing: float32 0 < dust → the dust (a double)
    let combined0 = if (4.5e-5f64 as f32) > w0 { 4.5e-5 } else { w0 as f64 };
    assert_eq!(p.pre_burn, vec![combined0, 1.5e-5]);
    let s32 = (0.0f32 + w0) + 1.5e-5f64 as f32;
    assert!(w1 == 0.0 && combined0 == w0 as f64);
    assert_eq!(p.burn, Some((1.0f32 - s32) as f64));
}

#[test]
fn burn_knife_edge_is_decided_by_s_summed_in_file_order() {
    // Debt weights 0.7, 0.2, 0.1 (zero dust) sum left to right to 0.9999999999999999: a burn
    // entry of about 1.1e-16. The same weights in the order 0.1, 0.2, 0.7 sum to exactly 1.0:
    // divided by S, no burn entry at all.
    let settle = |w: &[f64]| {
        let debt = Debt::Weights { weights: w.iter().map(|x| Num::F64(*x)).collect(), remaining: w.to_vec() };
        monthly_r1::MonthlyR1.settle(&[0.0; 3], &debt)
    };
    let p = settle(&[0.7, 0.2, 0.1]);
    assert_eq!(p.burn, Some(1.0 - 0.9999999999999999));
    assert_eq!(p.final_w, vec![0.7, 0.2, 0.1]);
    let q = settle(&[0.1, 0.2, 0.7]);
    assert_eq!(q.burn, None);
    assert_eq!(q.final_w, vec![0.1, 0.2, 0.7]);
}

#[test]
fn weekly_hwm_needed_since_november_to_the_sunday_boundary() {
    // Sunday 2025-12-07 is the boundary for Monday the 8th (horizon 6).
    let a = vec![
        rcp(ms("2025-11-03T00:00:00Z"), 100.0, 0.0, 1.0, "MAINCOMP", 0.0),
        rcp(ms("2025-11-04T00:00:00Z"), -60.0, 0.0, 1.0, "SUBACCOUNT_FUNDED", 0.0),
        rcp(ms("2025-11-05T00:00:00Z"), 90.0, -4.0, 0.5, "PROBATION", 0.0), // running 130 > 100: +30×0.5
        rcp(ms("2025-12-08T00:00:00Z"), 1000.0, 0.0, 1.0, "MAINCOMP", 7.0), // after the boundary: not needed, but paid
    ];
    let s = Store::from_set(&set(vec![("A", a)]));
    let r = weekly::Weekly::remaining(&AsOf::new(&s, ms("2025-12-08T12:00:00Z")), &Context::default());
    // needed = 100 + 15 + min(0, −4) × 0.5 = 113; actual 7.
    assert_eq!(r, vec![113.0 - 7.0]);
    // No activation gate: in October nothing is owed, but the debt path runs (weights 0).
    let Debt::Weights { weights, .. } =
        weekly::Weekly.debt(&AsOf::new(&s, ms("2025-10-20T00:00:00Z")), &Context::default()).unwrap()
    else {
        panic!()
    };
    assert_eq!(weights, vec![Num::F64(0.0)]);
}

#[test]
fn weekly_preset_floors_entity_at_four_dust() {
    let p = preset("ptn-weekly-843e57e0").unwrap();
    let b = [Status::parse("ENTITY"), Status::Maincomp, Status::parse("SUBACCOUNT_ALPHA")];
    let d = dust_weights(&p, &b, &[0.0, 0.0, 0.0], &[]);
    assert_eq!(d, vec![4.0 * 1.5e-5, 3.0 * 1.5e-5, 1.0 * 1.5e-5]);
    assert_eq!(p.payout, "weekly-hwm-843e57e0");
    let r1 = preset("ptn-2025-11-30").unwrap();
    assert_eq!((r1.payout.as_str(), r1.collateral.is_some()), ("monthly-2025-11-30", true));
}
