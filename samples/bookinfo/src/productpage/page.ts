// The HTML pages of productpage: the index and the product page with details, reviews and stars,
// laid out as Istio's Bookinfo lays them out (the same headings, texts and star classes).
import { escapeHtml } from '../../../lib/index.ts';
import type { ProductReviews } from '../reviews.ts';

export interface Product {
  readonly id: number;
  readonly title: string;
  readonly descriptionHtml: string;
}

export interface Fetched<T> {
  readonly status: number;
  readonly body: T | { readonly error: string };
}

export interface ProductPageModel {
  readonly product: Product;
  readonly details: Fetched<Readonly<Record<string, unknown>>>;
  readonly reviews: Fetched<ProductReviews>;
  readonly user: string | undefined;
}

function layout(body: string): string {
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<title>Simple Bookstore App</title>
<link rel="stylesheet" href="static/bookinfo.css">
</head>
<body>
${body}
</body>
</html>
`;
}

function nav(user: string | undefined): string {
  const right = user
    ? `<p class="navbar-text">${escapeHtml(user)} ( <a href="logout">sign out</a> )</p>`
    : `<details class="signin">
    <summary>Sign in</summary>
    <form method="post" action="login" name="login_form">
      <input type="text" name="username" id="username" placeholder="User Name" autocomplete="username">
      <input type="password" name="passwd" placeholder="Password" autocomplete="current-password">
      <button type="submit">Sign in</button>
    </form>
  </details>`;
  return `<nav>
  <a class="brand" href="#">BookInfo Sample</a>
  ${right}
</nav>`;
}

function errorOf(body: unknown): string {
  return typeof body === 'object' && body !== null && 'error' in body ? String(body.error) : '';
}

function detailsSection(details: ProductPageModel['details']): string {
  if (details.status !== 200)
    return `<h4>Error fetching product details!</h4>\n<p>${escapeHtml(errorOf(details.body))}</p>`;
  const d = details.body as Record<string, unknown>;
  const rows: [string, unknown][] = [
    ['Type', d.type],
    ['Pages', d.pages],
    ['Publisher', d.publisher],
    ['Language', d.language],
    ['ISBN-10', d['ISBN-10']],
    ['ISBN-13', d['ISBN-13']],
  ];
  return `<h4>Book Details</h4>
<dl>
${rows.map(([k, v]) => `  <dt>${k}:</dt><dd>${escapeHtml(v)}</dd>`).join('\n')}
</dl>`;
}

function stars(count: number, color: string): string {
  const n = Math.max(0, Math.min(5, Math.trunc(count)));
  const full = '<span class="glyphicon glyphicon-star">&#9733;</span>'.repeat(n);
  const empty = '<span class="glyphicon glyphicon-star-empty">&#9734;</span>'.repeat(5 - n);
  return `<font color="${escapeHtml(color)}">${full}${empty}</font>`;
}

function reviewsSection(reviews: ProductPageModel['reviews']): string {
  if (reviews.status !== 200)
    return `<h4>Error fetching product reviews!</h4>\n<p>${escapeHtml(errorOf(reviews.body))}</p>`;
  const r = reviews.body as ProductReviews;
  const items = (r.reviews ?? []).map((review) => {
    let rating = '';
    if (review.rating?.stars !== undefined)
      rating = stars(review.rating.stars, review.rating.color ?? 'black');
    else if (review.rating?.error) rating = `<p><i>${escapeHtml(review.rating.error)}</i></p>`;
    return `<blockquote>
  <p>${escapeHtml(review.text)}</p>
  <small>${escapeHtml(review.reviewer)}</small>
  ${rating}
</blockquote>`;
  });
  const servedBy = r.podname
    ? `\n<p class="served-by">Reviews served by: <u>${escapeHtml(r.podname)}</u></p>`
    : '';
  return `<h4>Book Reviews</h4>\n${items.join('\n')}${servedBy}`;
}

export function productPage(model: ProductPageModel): string {
  return layout(`${nav(model.user)}
<main>
<h3>${escapeHtml(model.product.title)}</h3>
<p>Summary: ${model.product.descriptionHtml}</p>
<div class="columns">
<section class="details">
${detailsSection(model.details)}
</section>
<section class="reviews">
${reviewsSection(model.reviews)}
</section>
</div>
</main>`);
}

export function indexPage(services: readonly { name: string; url: string }[]): string {
  return layout(`<nav><a class="brand" href="#">BookInfo Sample</a></nav>
<main>
<h3>Hello! This is a simple bookstore application consisting of four services as shown below</h3>
<table>
${services.map((s) => `  <tr><th>${escapeHtml(s.name)}</th><td>${escapeHtml(s.url)}</td></tr>`).join('\n')}
</table>
<p>Click on one of the links below to auto generate a request to the backend as a real user or a tester</p>
<p><a href="productpage?u=normal">Normal user</a></p>
<p><a href="productpage?u=test">Test user</a></p>
</main>`);
}
