//! The unwrapping rule, once: which object of a step result a reader reads.
//!
//! A reader names the fields it looks for ([`Looking`]). Starting at the result itself:
//!
//! 1. an object that gives one of the reader's own keys (a field or a wrapper) twice stops the
//!    reader there: that repeat is the error;
//! 2. an object that has any of the reader's fields (not `null`) is the one read;
//! 3. otherwise the reader looks through the first of its wrappers, in [`Wrapper::ALL`]'s
//!    order, that the object holds as an object and that it has not looked through yet or gone
//!    past (each wrapper at most once, in that order);
//! 4. an object with none of the fields and no wrapper to look through is the one read (the
//!    reader finds none of its fields).
//!
//! The reader ([`super::reader`]) reads the objects under the wrappers as it parses, with the
//! same [`Route`] this rule follows, so that only objects a reader may reach are kept.

use super::fields::Fields;

/// The wrappers a step result may use, in the one order in which they are unwrapped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Wrapper {
    /// `{"result": {...}}`: any step result.
    Result = 0,
    /// `{"batch_worker_outcome": {...}}`: upstream TypeScript workers.
    WorkerOutcome = 1,
}

impl Wrapper {
    /// Every wrapper, in unwrapping order.
    pub(crate) const ALL: [Wrapper; 2] = [Wrapper::Result, Wrapper::WorkerOutcome];

    /// The key that holds the wrapped object.
    pub(crate) const fn key(self) -> &'static str {
        match self {
            Wrapper::Result => "result",
            Wrapper::WorkerOutcome => "batch_worker_outcome",
        }
    }

    const fn bit(self) -> u8 {
        1 << self as u8
    }
}

/// The wrappers passed through from a result's top to one of its objects.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Route(u8);

impl Route {
    /// The result itself.
    pub(crate) const TOP: Route = Route(0);

    /// Whether the object under `wrapper` can be reached from here: `wrapper` comes after
    /// every wrapper already passed through.
    pub(crate) const fn may_enter(self, wrapper: Wrapper) -> bool {
        self.0 >> wrapper as u8 == 0
    }

    /// The route into the object under `wrapper`.
    pub(crate) const fn enter(self, wrapper: Wrapper) -> Route {
        Route(self.0 | wrapper.bit())
    }

    /// The wrappers passed through, in order.
    pub(crate) fn wrappers(self) -> impl Iterator<Item = Wrapper> {
        Wrapper::ALL
            .into_iter()
            .filter(move |w| self.0 & w.bit() != 0)
    }
}

/// A reader of step results: the fields it looks for decide where it reads a result.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Looking<'f> {
    /// The aggregation: the four counters, `errors` and the reducers' fields.
    Worker(&'f Fields),
    /// Convergence's failure check: `success` and `status`.
    Failure,
    /// Detection: the batchable step's `batch_processing_outcome`.
    Step,
}

impl Looking<'_> {
    /// The wrappers this reader may look through, in unwrapping order: worker readers both,
    /// detection only `result` (a batchable step is not a TypeScript worker).
    pub(crate) const fn wrappers(self) -> &'static [Wrapper] {
        match self {
            Looking::Step => &[Wrapper::Result],
            Looking::Worker(_) | Looking::Failure => &Wrapper::ALL,
        }
    }

    /// Whether `wrapper` is one this reader looks through.
    pub(crate) fn looks_through(self, wrapper: Wrapper) -> bool {
        self.wrappers().contains(&wrapper)
    }
}

/// What the rule asks of the objects read from one result.
pub(crate) trait Objects {
    /// Names one object.
    type Id: Copy;
    /// The first of the reader's own keys (fields and wrappers) that `object` gives twice.
    fn repeated(&self, object: Self::Id, looking: Looking) -> Option<&str>;
    /// Whether `object` has any of the reader's fields, not `null`.
    fn has_any_field(&self, object: Self::Id, looking: Looking) -> bool;
    /// The object under `wrapper` in `object`, when it holds one there.
    fn wrapped(&self, object: Self::Id, wrapper: Wrapper) -> Option<Self::Id>;
}

/// The object a reader reads in one result.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Choice<'a, Id> {
    /// The object.
    pub(crate) object: Id,
    /// How it was reached.
    pub(crate) route: Route,
    /// One of the reader's keys given twice in it, where the reader stopped (an error).
    pub(crate) repeated: Option<&'a str>,
}

/// Applies the rule of the module docs to the result whose top object is `top`.
pub(crate) fn choose<'a, O: Objects>(
    objects: &'a O,
    top: O::Id,
    looking: Looking,
) -> Choice<'a, O::Id> {
    let mut object = top;
    let mut route = Route::TOP;
    loop {
        if let Some(key) = objects.repeated(object, looking) {
            return Choice {
                object,
                route,
                repeated: Some(key),
            };
        }
        if objects.has_any_field(object, looking) {
            break;
        }
        let inner = looking.wrappers().iter().find_map(|&wrapper| {
            if !route.may_enter(wrapper) {
                return None;
            }
            objects
                .wrapped(object, wrapper)
                .map(|inner| (wrapper, inner))
        });
        let Some((wrapper, inner)) = inner else {
            break;
        };
        object = inner;
        route = route.enter(wrapper);
    }
    Choice {
        object,
        route,
        repeated: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A result as the rule sees it: objects with the fields they have, the keys they repeat
    /// and the objects under their wrappers.
    #[derive(Default)]
    struct Fake {
        objects: Vec<FakeObject>,
    }

    #[derive(Default)]
    struct FakeObject {
        fields: Vec<&'static str>,
        repeated: Option<&'static str>,
        wrapped: Vec<(Wrapper, usize)>,
    }

    impl Fake {
        fn add(&mut self, fields: &[&'static str], wrapped: &[(Wrapper, usize)]) -> usize {
            self.objects.push(FakeObject {
                fields: fields.to_vec(),
                repeated: None,
                wrapped: wrapped.to_vec(),
            });
            self.objects.len() - 1
        }
    }

    fn reads(looking: Looking, field: &str) -> bool {
        match looking {
            Looking::Worker(extra) => {
                field.starts_with("items_") || field == "errors" || extra.contains(field)
            }
            Looking::Failure => field == "success" || field == "status",
            Looking::Step => field == "batch_processing_outcome",
        }
    }

    impl Objects for Fake {
        type Id = usize;
        fn repeated(&self, object: usize, looking: Looking) -> Option<&str> {
            self.objects[object]
                .repeated
                .filter(|key| reads(looking, key) || key.starts_with("result"))
        }
        fn has_any_field(&self, object: usize, looking: Looking) -> bool {
            self.objects[object]
                .fields
                .iter()
                .any(|f| reads(looking, f))
        }
        fn wrapped(&self, object: usize, wrapper: Wrapper) -> Option<usize> {
            self.objects[object]
                .wrapped
                .iter()
                .find(|(w, _)| *w == wrapper)
                .map(|(_, inner)| *inner)
        }
    }

    const WORKER: Looking<'static> = Looking::Worker(&super::super::fields::NO_FIELDS);

    fn route(wrappers: &[Wrapper]) -> Route {
        wrappers.iter().fold(Route::TOP, |r, w| r.enter(*w))
    }

    #[test]
    fn an_object_with_a_field_of_the_reader_is_read_as_it_is() {
        let mut fake = Fake::default();
        let inner = fake.add(&["items_processed"], &[]);
        let top = fake.add(&["items_failed"], &[(Wrapper::Result, inner)]);
        let choice = choose(&fake, top, WORKER);
        assert_eq!((choice.object, choice.route), (top, Route::TOP));
    }

    #[test]
    fn an_object_without_the_fields_is_looked_through_its_first_wrapper() {
        let mut fake = Fake::default();
        let in_result = fake.add(&["items_processed"], &[]);
        let in_outcome = fake.add(&["items_processed"], &[]);
        let top = fake.add(
            &["status"],
            &[
                (Wrapper::WorkerOutcome, in_outcome),
                (Wrapper::Result, in_result),
            ],
        );
        let choice = choose(&fake, top, WORKER);
        assert_eq!(
            (choice.object, choice.route),
            (in_result, route(&[Wrapper::Result]))
        );
        // Another reader has its field at the top, and stays there.
        assert_eq!(choose(&fake, top, Looking::Failure).object, top);
    }

    #[test]
    fn wrappers_are_looked_through_in_order_once_each() {
        let mut fake = Fake::default();
        let deepest = fake.add(&["items_processed"], &[]);
        let outcome = fake.add(&[], &[(Wrapper::Result, deepest)]);
        let top = fake.add(&[], &[(Wrapper::WorkerOutcome, outcome)]);
        // `result` after `batch_worker_outcome` is not looked through.
        let choice = choose(&fake, top, WORKER);
        assert_eq!(
            (choice.object, choice.route),
            (outcome, route(&[Wrapper::WorkerOutcome]))
        );

        let mut fake = Fake::default();
        let deepest = fake.add(&["items_processed"], &[]);
        let inner = fake.add(&[], &[(Wrapper::Result, deepest)]);
        let top = fake.add(&[], &[(Wrapper::Result, inner)]);
        // `result` inside `result` is not looked through again.
        assert_eq!(choose(&fake, top, WORKER).object, inner);

        let mut fake = Fake::default();
        let deepest = fake.add(&["items_processed"], &[]);
        let inner = fake.add(&[], &[(Wrapper::WorkerOutcome, deepest)]);
        let top = fake.add(&[], &[(Wrapper::Result, inner)]);
        let choice = choose(&fake, top, WORKER);
        assert_eq!(
            (choice.object, choice.route),
            (deepest, route(&[Wrapper::Result, Wrapper::WorkerOutcome]))
        );
    }

    #[test]
    fn the_first_wrapper_holding_an_object_is_taken_even_when_empty() {
        let mut fake = Fake::default();
        let empty = fake.add(&[], &[]);
        let outcome = fake.add(&["items_processed"], &[]);
        let top = fake.add(
            &[],
            &[(Wrapper::Result, empty), (Wrapper::WorkerOutcome, outcome)],
        );
        assert_eq!(choose(&fake, top, WORKER).object, empty);
    }

    #[test]
    fn detection_looks_through_result_only() {
        let mut fake = Fake::default();
        let outcome = fake.add(&["batch_processing_outcome"], &[]);
        let top = fake.add(&[], &[(Wrapper::WorkerOutcome, outcome)]);
        assert_eq!(choose(&fake, top, Looking::Step).object, top);
        assert!(!Looking::Step.looks_through(Wrapper::WorkerOutcome));
        assert!(Looking::Failure.looks_through(Wrapper::WorkerOutcome));
    }

    #[test]
    fn a_key_of_the_reader_given_twice_stops_it_where_it_is() {
        let mut fake = Fake::default();
        let inner = fake.add(&["items_processed"], &[]);
        let top = fake.add(&[], &[(Wrapper::Result, inner)]);
        fake.objects[top].repeated = Some("items_failed");
        let choice = choose(&fake, top, WORKER);
        assert_eq!(
            (choice.object, choice.repeated),
            (top, Some("items_failed"))
        );
        // A key another reader reads is not this reader's business.
        fake.objects[top].repeated = Some("success");
        assert_eq!(choose(&fake, top, WORKER).object, inner);
    }

    #[test]
    fn a_route_lists_its_wrappers_in_unwrapping_order() {
        let both = Route::TOP
            .enter(Wrapper::Result)
            .enter(Wrapper::WorkerOutcome);
        assert_eq!(
            both.wrappers().map(Wrapper::key).collect::<Vec<_>>(),
            ["result", "batch_worker_outcome"]
        );
        assert!(Route::TOP.may_enter(Wrapper::Result));
        assert!(route(&[Wrapper::Result]).may_enter(Wrapper::WorkerOutcome));
        assert!(!route(&[Wrapper::WorkerOutcome]).may_enter(Wrapper::Result));
        assert!(!both.may_enter(Wrapper::WorkerOutcome));
    }
}
