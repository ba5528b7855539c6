package io.peft4j.hub;

import java.util.ArrayList;
import java.util.List;

/**
 * A model search: free text, author, tag filters, sort order and a result limit. Build one with
 * {@link #builder()}; {@link Builder#adaptersOf(String)} asks for the PEFT adapters of a base model.
 *
 * @param text    free-text search, may be null
 * @param author  owner to restrict to, may be null
 * @param filters tag filters, all of which must match
 * @param sort    sort order (always descending), may be null for the Hub's default
 * @param limit   maximum number of results, 0 for no limit
 */
public record SearchQuery(String text, String author, List<String> filters, Sort sort, int limit) {

    /** Sort orders the Hub accepts. */
    public enum Sort {
        /** Most downloaded first. */
        DOWNLOADS("downloads"),
        /** Most liked first. */
        LIKES("likes"),
        /** Most recently modified first. */
        LAST_MODIFIED("lastModified"),
        /** Most recently created first. */
        CREATED_AT("createdAt"),
        /** Trending first. */
        TRENDING("trendingScore");

        private final String apiName;

        Sort(String apiName) {
            this.apiName = apiName;
        }

        /** The value of the {@code sort} parameter. */
        public String apiName() {
            return apiName;
        }

        /** Parses the API name ({@code downloads}, {@code likes}, {@code lastModified}, ...). */
        public static Sort of(String name) {
            for (Sort s : values()) {
                if (s.apiName.equalsIgnoreCase(name) || s.name().equalsIgnoreCase(name)) {
                    return s;
                }
            }
            throw new HubException("unknown sort '" + name + "': use downloads, likes, lastModified, createdAt or trendingScore");
        }
    }

    /** Copies the filters and checks the limit. */
    public SearchQuery {
        filters = List.copyOf(filters);
        if (limit < 0) {
            throw new IllegalArgumentException("search limit must be >= 0, got " + limit);
        }
    }

    /** A new builder. */
    public static Builder builder() {
        return new Builder();
    }

    /** Builds a {@link SearchQuery}. */
    public static final class Builder {
        private String text;
        private String author;
        private final List<String> filters = new ArrayList<>();
        private Sort sort;
        private int limit;

        private Builder() {}

        /** Free-text search. */
        public Builder text(String text) {
            this.text = text;
            return this;
        }

        /** Only models of this owner. */
        public Builder author(String author) {
            this.author = author;
            return this;
        }

        /** Only models carrying this tag (repeatable). */
        public Builder filter(String tag) {
            filters.add(tag);
            return this;
        }

        /** Only PEFT adapters of {@code baseModel}: {@code filter=peft&filter=base_model:adapter:<base>}. */
        public Builder adaptersOf(String baseModel) {
            filters.add("peft");
            filters.add("base_model:adapter:" + baseModel);
            return this;
        }

        /** Sort order. */
        public Builder sort(Sort sort) {
            this.sort = sort;
            return this;
        }

        /** At most this many results (0: all). */
        public Builder limit(int limit) {
            this.limit = limit;
            return this;
        }

        /** The query. */
        public SearchQuery build() {
            return new SearchQuery(text, author, filters, sort, limit);
        }
    }
}
