//! The town's news page as the store sees it: posts published on the `website` channel, newest first, with search.

use crate::db::read;
use crate::posts::{post_from_row, PostRecord, PostRow, POST_COLUMNS, WEBSITE_CHANNEL};
use crate::{Result, Store};

/// A post on the news page with the time it appeared there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewsItem {
    pub post: PostRecord,
    pub published_at: i64,
}

/// `LIKE` pattern for a case-insensitive substring search (`\` escapes the wildcards).
fn like_pattern(q: &str) -> String {
    let mut p = String::from("%");
    for c in q.trim().to_lowercase().chars() {
        if matches!(c, '%' | '_' | '\\') {
            p.push('\\');
        }
        p.push(c);
    }
    p.push('%');
    p
}

const FROM_PUBLISHED: &str =
    "FROM posts p JOIN post_publications w ON w.post_id = p.id AND w.channel = $1 \
     AND w.status = 'published' WHERE p.municipality_id = $2";

type NewsRow = (PostRow, i64);

impl Store {
    /// One page of the news, newest first, optionally only posts whose text contains `query`
    /// (case-insensitive); also the number of matching posts.
    pub async fn news_page(
        &self,
        municipality_id: i64,
        query: Option<&str>,
        limit: i64,
        offset: i64,
    ) -> Result<(Vec<NewsItem>, i64)> {
        let pattern = query.filter(|q| !q.trim().is_empty()).map(like_pattern);
        let filter = if pattern.is_some() {
            " AND p.search_text LIKE $3 ESCAPE '\\'"
        } else {
            ""
        };
        let (limit_at, offset_at) = if pattern.is_some() { (4, 5) } else { (3, 4) };
        let list_sql = format!(
            "SELECT {POST_COLUMNS}, w.published_at {FROM_PUBLISHED}{filter} \
             ORDER BY w.published_at DESC, p.id DESC LIMIT ${limit_at} OFFSET ${offset_at}"
        );
        let count_sql = format!("SELECT COUNT(*) {FROM_PUBLISHED}{filter}");
        let (rows, total): (Vec<NewsRow>, i64) = read!(self.db(), |ex| {
            let mut list = sqlx::query_as::<
                _,
                (
                    i64,
                    i64,
                    i64,
                    String,
                    String,
                    String,
                    String,
                    Option<i64>,
                    Option<String>,
                    Option<i64>,
                    Option<i64>,
                    i64,
                    i64,
                    Option<i64>,
                ),
            >(&list_sql)
            .bind(WEBSITE_CHANNEL)
            .bind(municipality_id);
            let mut count = sqlx::query_scalar::<_, i64>(&count_sql)
                .bind(WEBSITE_CHANNEL)
                .bind(municipality_id);
            if let Some(p) = &pattern {
                list = list.bind(p.clone());
                count = count.bind(p.clone());
            }
            let rows = list.bind(limit).bind(offset).fetch_all(ex).await?;
            let total = count.fetch_one(ex).await?;
            (
                rows.into_iter()
                    .map(|r| {
                        let at = r.13.unwrap_or(r.12);
                        (
                            (
                                r.0, r.1, r.2, r.3, r.4, r.5, r.6, r.7, r.8, r.9, r.10, r.11, r.12,
                            ),
                            at,
                        )
                    })
                    .collect(),
                total,
            )
        });
        Ok((
            rows.into_iter()
                .map(|(row, published_at)| NewsItem {
                    post: post_from_row(row),
                    published_at,
                })
                .collect(),
            total,
        ))
    }

    /// One post of the news page, if it is published there.
    pub async fn news_item(&self, municipality_id: i64, id: i64) -> Result<Option<NewsItem>> {
        let sql = format!("SELECT {POST_COLUMNS}, w.published_at {FROM_PUBLISHED} AND p.id = $3");
        let row: Option<(
            i64,
            i64,
            i64,
            String,
            String,
            String,
            String,
            Option<i64>,
            Option<String>,
            Option<i64>,
            Option<i64>,
            i64,
            i64,
            Option<i64>,
        )> = read!(self.db(), |ex| {
            sqlx::query_as(&sql)
                .bind(WEBSITE_CHANNEL)
                .bind(municipality_id)
                .bind(id)
                .fetch_optional(ex)
                .await?
        });
        Ok(row.map(|r| NewsItem {
            published_at: r.13.unwrap_or(r.12),
            post: post_from_row((
                r.0, r.1, r.2, r.3, r.4, r.5, r.6, r.7, r.8, r.9, r.10, r.11, r.12,
            )),
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::like_pattern;

    #[test]
    fn search_patterns_escape_wildcards_and_lower_case() {
        assert_eq!(like_pattern(" Straßenfest "), "%straßenfest%");
        assert_eq!(like_pattern("100%_\\"), "%100\\%\\_\\\\%");
    }
}
