//! A static, packed R-tree over bounding boxes (Sort-Tile-Recursive bulk load).
//!
//! The rule set is built once per plan version and never edited, so a bulk-loaded tree is
//! enough: every node holds up to [`FANOUT`] children, leaves point at item ids. `geo` 0.31 does
//! not re-export `rstar`, and this is all the engine needs from it.

use geo::Rect;

/// Children per node.
const FANOUT: usize = 16;

#[derive(Debug, Clone, Copy)]
struct Node {
    rect: Rect<f64>,
    /// Range of children: items for level 0, nodes of the level below otherwise.
    start: u32,
    end: u32,
}

/// Bounding-box index of items `(rect, id)`.
#[derive(Debug, Clone, Default)]
pub(crate) struct BoxIndex {
    items: Vec<(Rect<f64>, u32)>,
    /// `levels[0]` groups `items`; `levels[k]` groups `levels[k - 1]`; the last level is the top.
    levels: Vec<Vec<Node>>,
}

pub(crate) fn rects_meet(a: &Rect<f64>, b: &Rect<f64>) -> bool {
    a.min().x <= b.max().x
        && b.min().x <= a.max().x
        && a.min().y <= b.max().y
        && b.min().y <= a.max().y
}

fn union(rects: impl Iterator<Item = Rect<f64>>) -> Rect<f64> {
    let mut it = rects;
    let first = it.next().expect("a node has children");
    let (mut min, mut max) = (first.min(), first.max());
    for r in it {
        min.x = min.x.min(r.min().x);
        min.y = min.y.min(r.min().y);
        max.x = max.x.max(r.max().x);
        max.y = max.y.max(r.max().y);
    }
    Rect::new(min, max)
}

fn centre(r: &Rect<f64>) -> (f64, f64) {
    ((r.min().x + r.max().x) / 2.0, (r.min().y + r.max().y) / 2.0)
}

/// Sort-Tile-Recursive order: vertical slabs by centre x, each slab sorted by centre y.
/// Sorts are stable, so equal keys keep the caller's (deterministic) order.
fn str_sort<T>(v: &mut [T], rect: impl Fn(&T) -> Rect<f64>) {
    let leaves = v.len().div_ceil(FANOUT);
    let slabs = (leaves as f64).sqrt().ceil().max(1.0) as usize;
    let per_slab = slabs * FANOUT;
    v.sort_by(|a, b| centre(&rect(a)).0.total_cmp(&centre(&rect(b)).0));
    for slab in v.chunks_mut(per_slab) {
        slab.sort_by(|a, b| centre(&rect(a)).1.total_cmp(&centre(&rect(b)).1));
    }
}

impl BoxIndex {
    pub(crate) fn new(mut items: Vec<(Rect<f64>, u32)>) -> Self {
        let mut levels = Vec::new();
        if items.is_empty() {
            return BoxIndex { items, levels };
        }
        str_sort(&mut items, |i| i.0);
        let mut below: Vec<Rect<f64>> = items.iter().map(|i| i.0).collect();
        loop {
            let mut nodes: Vec<Node> = below
                .chunks(FANOUT)
                .enumerate()
                .map(|(k, ch)| Node {
                    rect: union(ch.iter().copied()),
                    start: (k * FANOUT) as u32,
                    end: (k * FANOUT + ch.len()) as u32,
                })
                .collect();
            let top = nodes.len() == 1;
            if !top {
                // Each node keeps its own child range, so reordering a level is safe.
                str_sort(&mut nodes, |n| n.rect);
            }
            below = nodes.iter().map(|n| n.rect).collect();
            levels.push(nodes);
            if top {
                break;
            }
        }
        BoxIndex { items, levels }
    }

    /// Ids of the items whose box meets `q` (touching counts), in ascending order.
    pub(crate) fn query(&self, q: &Rect<f64>, out: &mut Vec<u32>) {
        out.clear();
        let Some(top) = self.levels.last() else {
            return;
        };
        let mut stack: Vec<(usize, usize)> =
            (0..top.len()).map(|i| (self.levels.len() - 1, i)).collect();
        while let Some((level, i)) = stack.pop() {
            let node = &self.levels[level][i];
            if !rects_meet(&node.rect, q) {
                continue;
            }
            let range = node.start as usize..node.end as usize;
            if level == 0 {
                out.extend(
                    self.items[range]
                        .iter()
                        .filter(|(r, _)| rects_meet(r, q))
                        .map(|(_, id)| *id),
                );
            } else {
                stack.extend(range.map(|c| (level - 1, c)));
            }
        }
        out.sort_unstable();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::coord;

    fn rect(x: f64, y: f64, w: f64, h: f64) -> Rect<f64> {
        Rect::new(coord! {x: x, y: y}, coord! {x: x + w, y: y + h})
    }

    #[test]
    fn finds_exactly_the_boxes_that_meet() {
        let mut items = Vec::new();
        let mut id = 0;
        for i in 0..40 {
            for j in 0..30 {
                items.push((rect(i as f64 * 10.0, j as f64 * 10.0, 8.0, 8.0), id));
                id += 1;
            }
        }
        let index = BoxIndex::new(items.clone());
        let mut out = Vec::new();
        for q in [
            rect(5.0, 5.0, 20.0, 20.0),
            rect(-50.0, -50.0, 10.0, 10.0),
            rect(395.0, 295.0, 100.0, 100.0),
            rect(0.0, 0.0, 1000.0, 1000.0),
        ] {
            index.query(&q, &mut out);
            let mut expected: Vec<u32> = items
                .iter()
                .filter(|(r, _)| rects_meet(r, &q))
                .map(|(_, i)| *i)
                .collect();
            expected.sort_unstable();
            assert_eq!(out, expected);
        }
    }

    #[test]
    fn empty_and_single() {
        let mut out = vec![7];
        BoxIndex::new(Vec::new()).query(&rect(0.0, 0.0, 1.0, 1.0), &mut out);
        assert!(out.is_empty());
        let one = BoxIndex::new(vec![(rect(0.0, 0.0, 1.0, 1.0), 3)]);
        one.query(&rect(1.0, 1.0, 1.0, 1.0), &mut out);
        assert_eq!(out, vec![3]);
    }
}
