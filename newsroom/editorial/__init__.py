"""Ban Tuyên giáo: báo cáo, điểm báo, biểu đồ, bản tin và bài đăng mạng xã hội."""
